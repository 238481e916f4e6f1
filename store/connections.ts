// Users and provider connections, with tokens encrypted at rest (store/crypto.ts). Decrypted tokens
// live only in memory for the duration of a call and are never logged.
import type { TokenSet } from '../providers/types.ts';
import type { TokenCipher } from './crypto.ts';
import type { Sql, Queryable as Tx } from './db.ts';

export type ConnectionStatus = 'active' | 'reauth_required' | 'access_denied' | 'disconnected';

export interface ConnectionRow {
  provider: string;
  user_id: string;
  status: ConnectionStatus;
  status_reason: string | null;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  access_expires_at: Date | null;
  token_version: number;
  last_refreshed_at: Date | null;
  /** When the current access token was issued (sql/008); null on rows older than that migration. */
  access_issued_at: Date | null;
  refresh_lease_owner: string | null;
  refresh_lease_until: Date | null;
  /** A refresh request went unanswered since the last good one (a lost rotation is possible). */
  refresh_uncertain_at: Date | null;
  /** The user's id at the provider (API-key providers pull by it; webhooks name users by it). */
  external_user_id: string | null;
  created_at: Date;
}

/** The additional authenticated data binding a token ciphertext to its row and column. */
export const tokenContext = (provider: string, userId: string, field: string) =>
  `${provider}:${userId}:${field}`;
const context = tokenContext;

export async function ensureUser(sql: Tx, userId: string): Promise<void> {
  await sql`insert into users (id) values (${userId}) on conflict do nothing`;
}

export async function saveTokens(
  sql: Tx,
  cipher: TokenCipher,
  provider: string,
  userId: string,
  tokens: TokenSet,
  options: { refreshed?: boolean } = {},
): Promise<void> {
  await ensureUser(sql, userId);
  const access = cipher.encrypt(tokens.accessToken, context(provider, userId, 'access'));
  const refresh = cipher.encrypt(tokens.refreshToken, context(provider, userId, 'refresh'));
  await sql`
    insert into connections (provider, user_id, status, access_token_enc, refresh_token_enc, access_expires_at,
                             access_issued_at, last_refreshed_at)
    values (${provider}, ${userId}, 'active', ${access}, ${refresh}, ${tokens.expiresAt}, now(),
            ${options.refreshed ? new Date() : null})
    on conflict (provider, user_id) do update set
      status = 'active', status_reason = null, access_token_enc = excluded.access_token_enc,
      refresh_token_enc = excluded.refresh_token_enc, access_expires_at = excluded.access_expires_at,
      access_issued_at = excluded.access_issued_at, token_version = connections.token_version + 1,
      refresh_lease_owner = null, refresh_lease_until = null, refresh_uncertain_at = null,
      last_refreshed_at = coalesce(excluded.last_refreshed_at, connections.last_refreshed_at), updated_at = now()`;
}

/**
 * A connection without tokens (API-key and auth-less providers): the user's id at the provider, if
 * any. Another local user already holding that id is refused by the unique index (sql/010) rather
 * than silently shared.
 */
export async function saveConnection(
  sql: Tx,
  provider: string,
  userId: string,
  externalUserId: string | null,
): Promise<void> {
  await ensureUser(sql, userId);
  await sql`
    insert into connections (provider, user_id, status, external_user_id)
    values (${provider}, ${userId}, 'active', ${externalUserId})
    on conflict (provider, user_id) do update set
      status = 'active', status_reason = null, external_user_id = excluded.external_user_id, updated_at = now()`;
}

export async function getConnection(
  sql: Tx,
  provider: string,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ConnectionRow | undefined> {
  const rows = options.forUpdate
    ? await sql<ConnectionRow[]>`
        select * from connections where provider = ${provider} and user_id = ${userId} for update`
    : await sql<ConnectionRow[]>`
        select * from connections where provider = ${provider} and user_id = ${userId}`;
  return rows[0];
}

/** The local connection of a provider user (webhooks name users by their id at the provider). */
export async function getConnectionByExternalUser(
  sql: Tx,
  provider: string,
  externalUserId: string,
): Promise<ConnectionRow | undefined> {
  const rows = await sql<ConnectionRow[]>`
    select * from connections where provider = ${provider} and external_user_id = ${externalUserId}`;
  return rows[0];
}

/** Records an OAuth connection's user id at the provider once it is known (profile, first webhook). */
export async function setExternalUserId(
  sql: Tx,
  provider: string,
  userId: string,
  externalUserId: string,
): Promise<void> {
  await sql`
    update connections set external_user_id = ${externalUserId}, updated_at = now()
    where provider = ${provider} and user_id = ${userId}`;
}

export function decryptTokens(
  cipher: TokenCipher,
  row: ConnectionRow,
): { accessToken: string | null; refreshToken: string | null } {
  return {
    accessToken: row.access_token_enc
      ? cipher.decrypt(row.access_token_enc, context(row.provider, row.user_id, 'access'))
      : null,
    refreshToken: row.refresh_token_enc
      ? cipher.decrypt(row.refresh_token_enc, context(row.provider, row.user_id, 'refresh'))
      : null,
  };
}

export async function markConnection(
  sql: Tx,
  provider: string,
  userId: string,
  status: ConnectionStatus,
  reason: string,
): Promise<void> {
  await sql`
    update connections set status = ${status}, status_reason = ${reason}, updated_at = now()
    where provider = ${provider} and user_id = ${userId}`;
}

/** Re-encrypts every token with the cipher's current key; returns how many rows changed. */
export async function reencryptAll(sql: Sql, cipher: TokenCipher): Promise<number> {
  return sql.begin(async (tx) => {
    const rows = await tx<ConnectionRow[]>`select * from connections for update`;
    let changed = 0;
    for (const row of rows) {
      const stale = [row.access_token_enc, row.refresh_token_enc].some(
        (value) => value && cipher.keyIdOf(value) !== cipher.currentKeyId,
      );
      if (!stale) continue;
      const { accessToken, refreshToken } = decryptTokens(cipher, row);
      const access = accessToken && cipher.encrypt(accessToken, context(row.provider, row.user_id, 'access'));
      const refresh =
        refreshToken && cipher.encrypt(refreshToken, context(row.provider, row.user_id, 'refresh'));
      await tx`update connections set access_token_enc = ${access}, refresh_token_enc = ${refresh}, updated_at = now()
               where provider = ${row.provider} and user_id = ${row.user_id}`;
      changed++;
    }
    return changed;
  });
}
