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
}): TokenManager {
  const { sql, cipher } = deps;

  async function refresh(
    provider: ProviderApi,
    userId: string,
    stats: RequestStats,
    isStillCurrent: (version: number, expiresAt: Date | null) => boolean,
  ): Promise<AccessToken> {
    try {
      return await sql.begin(async (tx) => {
        await tx`set local lock_timeout = '60s'`;
        const row = await getConnection(tx, provider.name, userId, { forUpdate: true });
        if (!row)
          throw new ProviderError(`no ${provider.name} connection for user ${userId}`, 'invalid_input');
        assertActive(row.status, row.status_reason, provider.name, userId);
        const { accessToken, refreshToken } = decryptTokens(cipher, row);
        // Someone refreshed while we waited for the lock: use theirs, do not spend the new refresh token.
        if (accessToken && !isStillCurrent(row.token_version, row.access_expires_at)) {
          return { value: accessToken, version: row.token_version };
        }
        if (!refreshToken) {
          throw new ProviderError(
            `the ${provider.name} connection of ${userId} has no refresh token`,
            'reauth_required',
          );
        }
        const tokens = await provider.refreshTokens(refreshToken, stats);
        await saveTokens(tx, cipher, provider.name, userId, tokens, { refreshed: true });
        return { value: tokens.accessToken, version: row.token_version + 1 };
      });
    } catch (error) {
      if (error instanceof ProviderError && error.errorClass === 'reauth_required') {
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
