// Access tokens for activities, with refresh that is single-flight per connection across processes
// (DESIGN.md decision 6): the refresh runs under the connection's row lock, re-checks whether another
// process already refreshed, and commits the new pair before anyone uses it.

import { ProviderError } from '../providers/errors.ts';
import type { ProviderApi, RequestStats } from '../providers/types.ts';
import { decryptTokens, getConnection, markConnection, saveTokens } from '../store/connections.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';

/** Refresh this long before expiry, so a page never starts with a token about to lapse. */
const REFRESH_AHEAD_MS = 2 * 60_000;

/**
 * What a refresh came to: `refreshed` (a new pair committed), `reused` (another process refreshed
 * while this one waited for the lock, so its pair is used and no refresh token spent), `rejected`
 * (the provider refused the refresh token: reauth required), `failed` (transient: retried later).
 */
export type RefreshOutcome = 'refreshed' | 'reused' | 'rejected' | 'failed';

export interface AccessToken {
  value: string;
  version: number;
}

export interface TokenManager {
  accessToken(provider: ProviderApi, userId: string, stats: RequestStats): Promise<AccessToken>;
  /** After a 401: refresh unless another process already replaced the token we used. */
  refreshAfterUnauthorized(
    provider: ProviderApi,
    userId: string,
    used: AccessToken,
    stats: RequestStats,
  ): Promise<AccessToken>;
}

export function createTokenManager(deps: {
  sql: Sql;
  cipher: TokenCipher;
  onReauthRequired?: (provider: string, userId: string, reason: string) => Promise<void>;
  /** For metrics: once per refresh that called the provider or found a pair another process just got. */
  onRefresh?: (event: { provider: string; outcome: RefreshOutcome }) => void;
}): TokenManager {
  const { sql, cipher } = deps;

  async function refresh(
    provider: ProviderApi,
    userId: string,
    stats: RequestStats,
    isStillCurrent: (version: number, expiresAt: Date | null) => boolean,
  ): Promise<AccessToken> {
    // Outcomes are reported after the transaction, so `refreshed` means the new pair is committed.
    let outcome: RefreshOutcome | undefined;
    const report = (final: RefreshOutcome) => deps.onRefresh?.({ provider: provider.name, outcome: final });
    try {
      const token = await sql.begin(async (tx) => {
        await tx`set local lock_timeout = '60s'`;
        const row = await getConnection(tx, provider.name, userId, { forUpdate: true });
        if (!row)
          throw new ProviderError(`no ${provider.name} connection for user ${userId}`, 'invalid_input');
        assertActive(row.status, row.status_reason, provider.name, userId);
        const { accessToken, refreshToken } = decryptTokens(cipher, row);
        // Someone refreshed while we waited for the lock: use theirs, do not spend the new refresh token.
        if (accessToken && !isStillCurrent(row.token_version, row.access_expires_at)) {
          outcome = 'reused';
          return { value: accessToken, version: row.token_version };
        }
        if (!refreshToken) {
          throw new ProviderError(
            `the ${provider.name} connection of ${userId} has no refresh token`,
            'reauth_required',
          );
        }
        outcome = 'failed';
        const tokens = await provider.refreshTokens(refreshToken, stats);
        await saveTokens(tx, cipher, provider.name, userId, tokens, { refreshed: true });
        outcome = 'refreshed';
        return { value: tokens.accessToken, version: row.token_version + 1 };
      });
      if (outcome) report(outcome);
      return token;
    } catch (error) {
      const rejected = error instanceof ProviderError && error.errorClass === 'reauth_required';
      // A refresh was attempted only if the provider was called; a connection already marked is not one.
      if (outcome) report(rejected ? 'rejected' : 'failed');
      if (rejected) {
        const reason = `refresh rejected by ${provider.name}: ${error.message}`;
        await markConnection(sql, provider.name, userId, 'reauth_required', reason);
        await deps.onReauthRequired?.(provider.name, userId, reason);
        throw new ProviderError(
          `reauth required: ${provider.name} rejected the refresh token of ${userId}; run \`wearhouse connect ${provider.name} --user ${userId}\``,
          'reauth_required',
          error.status,
        );
      }
      throw error;
    }
  }

  return {
    async accessToken(provider, userId, stats) {
      const row = await getConnection(sql, provider.name, userId);
      if (!row) throw new ProviderError(`no ${provider.name} connection for user ${userId}`, 'invalid_input');
      assertActive(row.status, row.status_reason, provider.name, userId);
      const fresh = (expiresAt: Date | null) =>
        expiresAt !== null && expiresAt.getTime() - Date.now() > REFRESH_AHEAD_MS;
      const { accessToken } = decryptTokens(cipher, row);
      if (accessToken && fresh(row.access_expires_at))
        return { value: accessToken, version: row.token_version };
      return refresh(provider, userId, stats, (_version, expiresAt) => !fresh(expiresAt));
    },
    refreshAfterUnauthorized(provider, userId, used, stats) {
      return refresh(provider, userId, stats, (version) => version === used.version);
    },
  };
}

function assertActive(status: string, reason: string | null, provider: string, userId: string) {
  if (status !== 'active') {
    throw new ProviderError(
      `reauth required: the ${provider} connection of ${userId} is ${status}${reason ? ` (${reason})` : ''}`,
      'reauth_required',
    );
  }
}
