// Read-API tokens (docs/read-api.md): a 32-byte random secret shown once, only its sha256 stored (as
// ingest tokens, store/ingest-tokens.ts). A token's scope is one user or all users.
import { randomBytes } from 'node:crypto';
import { ensureUser } from './connections.ts';
import type { Queryable } from './db.ts';
import { hashToken } from './ingest-tokens.ts';

const PREFIX = 'whr_';

/** What a live token may read: one user's data, or everyone's (and /v1/status). */
export type ReadScope = { allUsers: true } | { allUsers: false; userId: string };

export interface ReadTokenRow {
  id: number;
  userId: string | null;
  allUsers: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function createReadToken(
  sql: Queryable,
  scope: ReadScope,
): Promise<{ id: number; token: string }> {
  if (!scope.allUsers) await ensureUser(sql, scope.userId);
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const [row] = await sql<{ id: number }[]>`
    insert into read_tokens (user_id, all_users, token_hash)
    values (${scope.allUsers ? null : scope.userId}, ${scope.allUsers}, ${hashToken(token)})
    returning id`;
  return { id: Number(row?.id), token };
}

/** The scope of a live token, or undefined for a missing, unknown or revoked one. */
export async function scopeForReadToken(sql: Queryable, token: string): Promise<ReadScope | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
  const [row] = await sql<{ id: number; user_id: string | null; all_users: boolean; fresh: boolean }[]>`
    select id, user_id, all_users, coalesce(last_used_at > now() - interval '1 minute', false) as fresh
    from read_tokens where token_hash = ${hashToken(token)} and revoked_at is null`;
  if (!row) return undefined;
  // last_used_at at most once a minute: a busy app does not turn every read into a row write.
  if (!row.fresh) await sql`update read_tokens set last_used_at = now() where id = ${row.id}`;
  return row.all_users ? { allUsers: true } : { allUsers: false, userId: row.user_id as string };
}

/** Revokes one token by id, or every live token of a user; returns how many were revoked. */
export async function revokeReadTokens(
  sql: Queryable,
  target: { id: number } | { userId: string },
): Promise<number> {
  const result =
    'id' in target
      ? await sql`update read_tokens set revoked_at = now() where id = ${target.id} and revoked_at is null`
      : await sql`update read_tokens set revoked_at = now() where user_id = ${target.userId} and revoked_at is null`;
  return result.count;
}

/** Every token's metadata (never a hash), newest first. */
export async function listReadTokens(sql: Queryable): Promise<ReadTokenRow[]> {
  const rows = await sql<
    {
      id: number;
      user_id: string | null;
      all_users: boolean;
      created_at: Date;
      last_used_at: Date | null;
      revoked_at: Date | null;
    }[]
  >`select id, user_id, all_users, created_at, last_used_at, revoked_at from read_tokens order by id desc`;
  return rows.map((r) => ({
    id: Number(r.id),
    userId: r.user_id,
    allUsers: r.all_users,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }));
}
