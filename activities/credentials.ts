// A connection's credentials for a pull, by the provider's auth kind: OAuth access tokens from the
// token manager (activities/tokens.ts, single-flight refresh), the user's id at the provider for
// API-key providers (the app's key is configuration), nothing for the rest.
import { ProviderError } from '../providers/errors.ts';
import type { Credentials, ProviderRuntime, RequestStats } from '../providers/types.ts';
import { getConnection } from '../store/connections.ts';
import type { Sql } from '../store/db.ts';
import type { AccessToken, TokenManager } from './tokens.ts';

/** Credentials, and for OAuth the token they came from (a 401 refreshes only if it is still current). */
export interface HeldCredentials {
  credentials: Credentials;
  token?: AccessToken;
}

export interface CredentialSource {
  forConnection(runtime: ProviderRuntime, userId: string, stats: RequestStats): Promise<HeldCredentials>;
  /** After a 401: new credentials to retry the page with once, or undefined when there are none to get. */
  afterUnauthorized(
    runtime: ProviderRuntime,
    userId: string,
    held: HeldCredentials,
    stats: RequestStats,
  ): Promise<HeldCredentials | undefined>;
}

export function createCredentialSource(deps: { sql: Sql; tokens: TokenManager }): CredentialSource {
  /** What the token manager needs of a provider: its name and its refresh grant. */
  const refresher = (runtime: ProviderRuntime) => {
    const { oauth, descriptor } = runtime;
    if (!oauth)
      throw new ProviderError(`${descriptor.name} declares OAuth but has no OAuth runtime`, 'client_error');
    return { name: descriptor.name, refreshTokens: oauth.refreshTokens };
  };
  const held = (token: AccessToken): HeldCredentials => ({
    credentials: { type: 'oauth', accessToken: token.value },
    token,
  });

  return {
    async forConnection(runtime, userId, stats) {
      const { name, auth } = runtime.descriptor;
      if (auth === 'oauth') return held(await deps.tokens.accessToken(refresher(runtime), userId, stats));
      if (auth === 'none') return { credentials: { type: 'none' } };
      const row = await getConnection(deps.sql, name, userId);
      if (!row) throw new ProviderError(`no ${name} connection for user ${userId}`, 'invalid_input');
      if (row.status !== 'active') {
        throw new ProviderError(
          `reauth required: the ${name} connection of ${userId} is ${row.status}${row.status_reason ? ` (${row.status_reason})` : ''}`,
          'reauth_required',
        );
      }
      if (!row.external_user_id) {
        throw new ProviderError(
          `the ${name} connection of ${userId} has no external user id; run \`wearhouse connect ${name} --user ${userId} --external-user-id <id>\``,
          'reauth_required',
        );
      }
      return { credentials: { type: 'api_key', externalUserId: row.external_user_id } };
    },

    async afterUnauthorized(runtime, userId, current, stats) {
      // An API key rejected is the app's configuration, not the user's grant: nothing to refresh.
      if (runtime.descriptor.auth !== 'oauth' || !current.token) return undefined;
      return held(
        await deps.tokens.refreshAfterUnauthorized(refresher(runtime), userId, current.token, stats),
      );
    },
  };
}
