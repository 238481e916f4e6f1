// Read tokens checked without a round trip per request (docs/read-api.md, "Auth"): a live token's
// scope is kept in memory for at most TTL_MS after Postgres confirmed it. Revocation still takes
// effect promptly: sql/101 notifies `wearhouse_read_tokens` on every change to a token's scope or
// revocation (the CLI, SQL by hand, a deleted user's cascade), and the notification empties the
// cache, so a revoked token fails from the next request once serve has heard it (milliseconds). If
// the listening connection is lost, an entry still expires after TTL_MS: that is the bound. Until the
// first LISTEN succeeds nothing is cached. Unknown tokens are never cached (each costs a query, as
// before), so guessing cannot fill memory; the cache holds at most MAX_ENTRIES tokens, by sha256.
import type { Sql } from '../store/db.ts';
import { hashToken } from '../store/ingest-tokens.ts';
import { type ReadScope, scopeForReadToken } from '../store/read-tokens.ts';

export const READ_TOKEN_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;
const RELISTEN_MS = 5000;
export const READ_TOKENS_CHANNEL = 'wearhouse_read_tokens';

export interface ReadTokenCache {
  scopeFor(token: string): Promise<ReadScope | undefined>;
  close(): Promise<void>;
}

export function createReadTokenCache(
  sql: Sql,
  options: { onListenError?: (error: unknown) => void; now?: () => number } = {},
): ReadTokenCache {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { scope: ReadScope; expiresAt: number }>();
  let listening = false;
  let closed = false;
  let unlisten: (() => Promise<void>) | undefined;
  let retry: NodeJS.Timeout | undefined;

  // Bumped by every notification, so a lookup that started before one does not cache its answer.
  let generation = 0;
  const forget = () => {
    generation += 1;
    entries.clear();
  };
  const listen = () => {
    sql
      .listen(READ_TOKENS_CHANNEL, forget, () => {
        // Called again after every reconnect: what changed meanwhile was not heard.
        forget();
        listening = true;
      })
      .then((meta) => {
        unlisten = meta.unlisten;
        if (closed) void meta.unlisten();
      })
      .catch((error: unknown) => {
        options.onListenError?.(error);
        if (!closed) retry = setTimeout(listen, RELISTEN_MS).unref();
      });
  };
  listen();

  return {
    async scopeFor(token) {
      const key = hashToken(token);
      const hit = entries.get(key);
      if (hit && hit.expiresAt > now()) return hit.scope;
      entries.delete(key);
      // A notification that arrives while the query runs must win: cache only if none did.
      const generationBefore = generation;
      const scope = await scopeForReadToken(sql, token);
      if (scope && listening && generation === generationBefore) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(key, { scope, expiresAt: now() + READ_TOKEN_CACHE_TTL_MS });
      }
      return scope;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      forget();
      // Not awaited: with Postgres gone it would wait for a reconnect; ending the pool closes it.
      void unlisten?.().catch(() => {});
    },
  };
}
