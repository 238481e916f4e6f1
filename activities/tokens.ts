// Access tokens for activities, with a refresh that is single-flight per connection within a process
// (one shared promise) and across processes (a lease on the connection row), and that holds no lock
// or transaction while it waits on HTTP, the request budget or a pool connection, so it cannot
// deadlock whatever the pool size, concurrency or budget pause (docs/operating.md, "Token refresh"):
//
//   1. read the row; a token that is fresh enough (or newer than the one that got a 401) is used;
//   2. claim the row's refresh lease in one UPDATE (compare-and-set on token_version); when another
//      process holds it, wait outside any transaction and read again: its pair will be there;
//   3. call the provider outside any transaction, renewing the lease while the call lasts;
//   4. commit the new pair with a compare-and-set on token_version before anyone uses it.
//
// A transient failure releases the lease and is retried later: it is never a revocation. A refresh
// token is only sent again after a failure that left its fate unknown (no answer, a 5xx); if the
// provider then rejects it, the rotation was lost in transit and the connection is marked with that
// precise reason ('lost rotation'), not as a revocation by the user.

import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../providers/errors.ts';
import type { RequestStats, TokenRefresher } from '../providers/types.ts';
import { type ConnectionRow, decryptTokens, getConnection } from '../store/connections.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';
import {
  claimRefreshLease,
  commitRefreshedTokens,
  type LeaseKey,
  markRefreshRejected,
  releaseRefreshLease,
  renewRefreshLease,
} from '../store/token-lease.ts';

/** Refresh at most this long before expiry; shorter-lived tokens refresh at a quarter of their life. */
export const MAX_REFRESH_AHEAD_MS = 2 * 60_000;

/**
 * What a refresh came to, once per caller that needed one: `refreshed` (a new pair committed),
 * `reused` (another caller, in this process or another, refreshed first: its pair is used and no
 * refresh token spent), `rejected` (the provider
 * refused the refresh token: reauth required), `lost_rotation` (refused after an earlier attempt went
 * unanswered: the provider had rotated it and the answer was lost; reauth required), `failed`
 * (transient: retried later).
 */
export type RefreshOutcome = 'refreshed' | 'reused' | 'rejected' | 'lost_rotation' | 'failed';

export interface AccessToken {
  value: string;
  version: number;
  expiresAt?: Date | null;
}

export interface TokenManager {
  accessToken(provider: TokenRefresher, userId: string, stats: RequestStats): Promise<AccessToken>;
  /** After a 401: refresh unless another process already replaced the token we used. */
  refreshAfterUnauthorized(
    provider: TokenRefresher,
    userId: string,
    used: AccessToken,
    stats: RequestStats,
  ): Promise<AccessToken>;
}

export interface TokenManagerDeps {
  sql: Sql;
  cipher: TokenCipher;
  onReauthRequired?: (provider: string, userId: string, reason: string) => Promise<void>;
  /** For metrics: once per caller that needed a refresh (its own, or one another caller made). */
  onRefresh?: (event: { provider: string; outcome: RefreshOutcome }) => void;
  /** How long a claimed lease lasts before others may take it over (renewed every third). Default 30 s. */
  leaseMs?: number;
  /** How often a caller waiting for another process's refresh reads the row again. Default 200 ms. */
  pollMs?: number;
}

/** How long before expiry a token counts as due: min(2 min, a quarter of its lifetime). */
export function refreshAheadMs(expiresAt: Date, issuedAt: Date | null): number {
  if (!issuedAt) return MAX_REFRESH_AHEAD_MS;
  const lifetime = expiresAt.getTime() - issuedAt.getTime();
  return lifetime > 0 ? Math.min(MAX_REFRESH_AHEAD_MS, lifetime / 4) : MAX_REFRESH_AHEAD_MS;
}

interface Current extends AccessToken {
  issuedAt: Date | null;
}

function isFresh(token: Current, now = Date.now()): boolean {
  if (!token.expiresAt) return false;
  return token.expiresAt.getTime() - now > refreshAheadMs(token.expiresAt, token.issuedAt);
}

let ownerSequence = 0;
const processId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

export function createTokenManager(deps: TokenManagerDeps): TokenManager {
  const { sql, cipher } = deps;
  const leaseMs = deps.leaseMs ?? 30_000;
  const pollMs = deps.pollMs ?? 200;
  /** The refresh in flight per connection in this process: every local caller shares it. */
  const flights = new Map<string, Promise<Current>>();

  const current = (row: ConnectionRow): Current | undefined => {
    const { accessToken } = decryptTokens(cipher, row);
    if (!accessToken) return undefined;
    return {
      value: accessToken,
      version: row.token_version,
      expiresAt: row.access_expires_at,
      issuedAt: row.access_issued_at ?? row.last_refreshed_at,
    };
  };

  const readActive = async (provider: TokenRefresher, userId: string): Promise<ConnectionRow> => {
    const row = await getConnection(sql, provider.name, userId);
    if (!row) throw new ProviderError(`no ${provider.name} connection for user ${userId}`, 'invalid_input');
    assertActive(row.status, row.status_reason, provider.name, userId);
    return row;
  };

  /** One refresh for the connection: returns a token for which `due` is false. */
  async function refreshOnce(
    provider: TokenRefresher,
    userId: string,
    stats: RequestStats,
    due: (token: Current) => boolean,
  ): Promise<Current> {
    const key: LeaseKey = { provider: provider.name, userId };
    const report = (outcome: RefreshOutcome) => deps.onRefresh?.({ provider: provider.name, outcome });
    const owner = `${processId}:${++ownerSequence}`;
    for (;;) {
      const row = await readActive(provider, userId);
      const token = current(row);
      if (token && !due(token)) {
        // Our caller found it due, so another refresh landed since: its pair is used, nothing spent.
        report('reused');
        return token;
      }
      if (!row.refresh_token_enc) {
        throw new ProviderError(
          `the ${provider.name} connection of ${userId} has no refresh token`,
          'reauth_required',
        );
      }
      const claimed = await claimRefreshLease(sql, key, row.token_version, owner, leaseMs);
      if (!claimed) {
        // Another process is refreshing (or just did): wait without holding anything, then read again.
        await sleep(pollMs);
        continue;
      }
      const refreshed = await callProvider(provider, key, claimed, owner, stats, report);
      if (refreshed) return refreshed;
      // The compare-and-set lost: another process committed first. Its pair is on the row.
    }
  }

  async function callProvider(
    provider: TokenRefresher,
    key: LeaseKey,
    row: ConnectionRow,
    owner: string,
    stats: RequestStats,
    report: (outcome: RefreshOutcome) => void,
  ): Promise<Current | undefined> {
    const { refreshToken } = decryptTokens(cipher, row);
    if (!refreshToken) throw new Error('unreachable: a claimed row without a refresh token');
    const renew = setInterval(() => {
      renewRefreshLease(sql, key, owner, leaseMs).catch(() => {
        // A lost renewal only lets another process take over later; its refresh would then be
        // rejected as spent and find our committed pair (see onRejected).
      });
    }, leaseMs / 3);
    renew.unref();
    let tokens: Awaited<ReturnType<TokenRefresher['refreshTokens']>>;
    try {
      tokens = await provider.refreshTokens(refreshToken, stats);
    } catch (error) {
      clearInterval(renew);
      if (error instanceof ProviderError && error.errorClass === 'reauth_required') {
        return onRejected(provider, key, row, error, report);
      }
      await releaseRefreshLease(sql, key, owner, { uncertain: mayHaveRotated(error) }).catch(() => {});
      report('failed');
      throw error;
    }
    clearInterval(renew);
    const version = await commitWithRetries(() =>
      commitRefreshedTokens(sql, cipher, key, tokens, row.token_version),
    );
    if (version === undefined) return undefined;
    report('refreshed');
    return { value: tokens.accessToken, version, expiresAt: tokens.expiresAt, issuedAt: new Date() };
  }

  async function onRejected(
    provider: TokenRefresher,
    key: LeaseKey,
    row: ConnectionRow,
    error: ProviderError,
    report: (outcome: RefreshOutcome) => void,
  ): Promise<undefined> {
    const lost = row.refresh_uncertain_at !== null;
    const reason = lost
      ? `lost rotation: ${provider.name} rejected the refresh token after an earlier refresh at ` +
        `${row.refresh_uncertain_at?.toISOString()} went unanswered (the provider rotated it and its ` +
        `answer was lost): ${error.message}`
      : `refresh rejected by ${provider.name}: ${error.message}`;
    // Unless another process committed a new pair in the meantime (then the token we sent was spent
    // by that refresh, and its pair is what we use).
    if (!(await markRefreshRejected(sql, key, row.token_version, reason))) return undefined;
    report(lost ? 'lost_rotation' : 'rejected');
    await deps.onReauthRequired?.(provider.name, key.userId, reason);
    throw new ProviderError(
      `reauth required: ${lost ? 'a lost rotation' : `${provider.name} rejected the refresh token`} ` +
        `of ${key.userId}; run \`wearhouse connect ${provider.name} --user ${key.userId}\``,
      'reauth_required',
      error.status,
    );
  }

  /** The single-flight wrapper: callers in this process share one refresh per connection. */
  async function ensure(
    provider: TokenRefresher,
    userId: string,
    stats: RequestStats,
    due: (token: Current) => boolean,
  ): Promise<AccessToken> {
    const key = `${provider.name}\u0000${userId}`;
    for (;;) {
      const joined = flights.get(key);
      if (joined) {
        const token = await joined;
        // The flight served another caller's need; ours may ask for more (a newer version after a 401).
        if (!due(token)) {
          deps.onRefresh?.({ provider: provider.name, outcome: 'reused' });
          return token;
        }
        continue;
      }
      const flight = refreshOnce(provider, userId, stats, due).finally(() => flights.delete(key));
      flights.set(key, flight);
      return flight;
    }
  }

  return {
    async accessToken(provider, userId, stats) {
      const row = await readActive(provider, userId);
      const token = current(row);
      if (token && isFresh(token)) return token;
      return ensure(provider, userId, stats, (t) => !isFresh(t));
    },
    refreshAfterUnauthorized(provider, userId, used, stats) {
      return ensure(provider, userId, stats, (t) => t.version <= used.version);
    },
  };
}

/**
 * Whether a failed refresh may still have been carried out by the provider: no answer at all, or a
 * 5xx. A 4xx, a 429 or a failure before sending (budget, configuration) spent nothing.
 */
function mayHaveRotated(error: unknown): boolean {
  if (!(error instanceof ProviderError) || error.errorClass !== 'transient') return false;
  return error.status === undefined || error.status >= 500;
}

/** The pair is spent at the provider once we have it: a passing database error must not lose it. */
async function commitWithRetries(commit: () => Promise<number | undefined>): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commit();
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(200 * 2 ** attempt);
    }
  }
}

function assertActive(status: string, reason: string | null, provider: string, userId: string) {
  if (status !== 'active') {
    throw new ProviderError(
      `reauth required: the ${provider} connection of ${userId} is ${status}${reason ? ` (${reason})` : ''}`,
      'reauth_required',
    );
  }
}
