// The connection-row statements of a lock-free token refresh (activities/tokens.ts). Each one is a
// single autocommit statement: nothing here opens a transaction or holds a row lock, so no caller can
// block another while it waits on HTTP, the request budget or a pool connection.
import type { TokenSet } from '../providers/types.ts';
import { type ConnectionRow, tokenContext } from './connections.ts';
import type { TokenCipher } from './crypto.ts';
import type { Queryable } from './db.ts';

export interface LeaseKey {
  provider: string;
  userId: string;
}

/**
 * Claims the refresh lease of a connection whose token is still at `version`: succeeds when nobody
 * holds it or the holder's lease ran out (a crashed process). Returns the row as claimed.
 */
export async function claimRefreshLease(
  sql: Queryable,
  { provider, userId }: LeaseKey,
  version: number,
  owner: string,
  leaseMs: number,
): Promise<ConnectionRow | undefined> {
  const [row] = await sql<ConnectionRow[]>`
    update connections
       set refresh_lease_owner = ${owner},
           refresh_lease_until = clock_timestamp() + ${leaseMs}::float8 * interval '1 millisecond'
     where provider = ${provider} and user_id = ${userId} and status = 'active'
       and token_version = ${version}
       and (refresh_lease_until is null or refresh_lease_until < clock_timestamp()
            or refresh_lease_owner = ${owner})
    returning *`;
  return row;
}

/** Extends a lease this owner still holds, while its provider call lasts. */
export async function renewRefreshLease(
  sql: Queryable,
  { provider, userId }: LeaseKey,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const rows = await sql`
    update connections
       set refresh_lease_until = clock_timestamp() + ${leaseMs}::float8 * interval '1 millisecond'
     where provider = ${provider} and user_id = ${userId} and refresh_lease_owner = ${owner}
    returning 1`;
  return rows.length > 0;
}

/**
 * Gives the lease up after a failed refresh. `uncertain`: the request may have reached the provider
 * (no answer, or a 5xx), so the refresh token we still hold may have been rotated away.
 */
export async function releaseRefreshLease(
  sql: Queryable,
  { provider, userId }: LeaseKey,
  owner: string,
  options: { uncertain: boolean },
): Promise<void> {
  await sql`
    update connections
       set refresh_lease_owner = null, refresh_lease_until = null,
           refresh_uncertain_at = case when ${options.uncertain}::boolean then clock_timestamp()
                                       else refresh_uncertain_at end
     where provider = ${provider} and user_id = ${userId} and refresh_lease_owner = ${owner}`;
}

/**
 * Commits a refreshed pair if the connection still holds the token version it was refreshed from
 * (compare-and-set); returns the new version, or undefined when another process got there first or
 * the connection is no longer active.
 */
export async function commitRefreshedTokens(
  sql: Queryable,
  cipher: TokenCipher,
  { provider, userId }: LeaseKey,
  tokens: TokenSet,
  fromVersion: number,
): Promise<number | undefined> {
  const access = cipher.encrypt(tokens.accessToken, tokenContext(provider, userId, 'access'));
  const refresh = cipher.encrypt(tokens.refreshToken, tokenContext(provider, userId, 'refresh'));
  const [row] = await sql<{ token_version: number }[]>`
    update connections
       set access_token_enc = ${access}, refresh_token_enc = ${refresh},
           access_expires_at = ${tokens.expiresAt}, access_issued_at = now(), last_refreshed_at = now(),
           token_version = token_version + 1,
           refresh_lease_owner = null, refresh_lease_until = null, refresh_uncertain_at = null,
           updated_at = now()
     where provider = ${provider} and user_id = ${userId} and status = 'active'
       and token_version = ${fromVersion}
    returning token_version`;
  return row?.token_version;
}

/** Marks the connection reauth-required, unless another process already moved its token on. */
export async function markRefreshRejected(
  sql: Queryable,
  { provider, userId }: LeaseKey,
  fromVersion: number,
  reason: string,
): Promise<boolean> {
  const rows = await sql`
    update connections
       set status = 'reauth_required', status_reason = ${reason},
           refresh_lease_owner = null, refresh_lease_until = null, updated_at = now()
     where provider = ${provider} and user_id = ${userId} and token_version = ${fromVersion}
    returning 1`;
  return rows.length > 0;
}
