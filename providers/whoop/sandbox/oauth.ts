// WHOOP's OAuth 2.0 endpoints, served by the shared sandbox engine (providers/sandbox-kit/oauth.ts):
// the token endpoint and an authorize endpoint that approves at once. WHOOP rejects a `state`
// shorter than 8 characters; so does the sandbox, to catch clients that omit it.
import type { OAuthRoutes } from '../../sandbox-kit/oauth.ts';

export const TOKEN_PATH = '/oauth/oauth2/token';
export const AUTH_PATH = '/oauth/oauth2/auth';
export const DEFAULT_SCOPE =
  'offline read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement';

export const OAUTH_ROUTES: OAuthRoutes = {
  tokenPath: TOKEN_PATH,
  authorizePath: AUTH_PATH,
  minStateLength: 8,
  requirePkce: true,
};
