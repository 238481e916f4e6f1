// Per-user ingest tokens: a 32-byte random secret shown once; only its sha256 is stored, so the
// table cannot hand a token back, and a lookup is one indexed equality (no timing on the secret).
import { createHash, randomBytes } from 'node:crypto';
import { ensureUser } from './connections.ts';
import type { Queryable } from './db.ts';

const PREFIX = 'whi_';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface CreatedToken {
  id: number;
  token: string;
}

export async function createIngestToken(sql: Queryable, userId: string): Promise<CreatedToken> {
  await ensureUser(sql, userId);
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const [row] = await sql<{ id: number }[]>`
    insert into ingest_tokens (user_id, token_hash) values (${userId}, ${hashToken(token)}) returning id`;
  return { id: Number(row?.id), token };
}

/** The user a live token belongs to, or undefined for a missing, unknown or revoked one. */
export async function userForToken(sql: Queryable, token: string): Promise<string | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
  const [row] = await sql<{ id: number; user_id: string; fresh: boolean }[]>`
    select id, user_id, coalesce(last_used_at > now() - interval '1 minute', false) as fresh
    from ingest_tokens where token_hash = ${hashToken(token)} and revoked_at is null`;
  // last_used_at at most once a minute: a busy sender does not turn every request into a row write.
  if (row && !row.fresh) await sql`update ingest_tokens set last_used_at = now() where id = ${row.id}`;
  return row?.user_id;
}

/** Revokes one token by id, or every live token of a user; returns how many were revoked. */
export async function revokeIngestTokens(
  sql: Queryable,
  target: { id: number } | { userId: string },
): Promise<number> {
  const result =
    'id' in target
      ? await sql`update ingest_tokens set revoked_at = now() where id = ${target.id} and revoked_at is null`
      : await sql`update ingest_tokens set revoked_at = now() where user_id = ${target.userId} and revoked_at is null`;
  return result.count;
}
