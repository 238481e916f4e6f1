// The OAuth 2.0 endpoints every sandbox serves: the token endpoint (refresh_token and
// authorization_code grants, form-encoded, client_secret_post or HTTP Basic) and an authorize
// endpoint that approves at once (`login_hint` names the user), so `wearhouse connect` can run its
// browser flow against a sandbox. Not rate-limited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http.ts';
import { hash01 } from './prng.ts';
import type { PkceChallenge, TokenStore } from './tokens.ts';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** What the OAuth endpoints need from a sandbox's state. */
export interface OAuthHost {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly seed: string;
  readonly tokens: TokenStore;
  /** Current fault rates; only the token endpoint's are read here. */
  readonly faults: { tokenServerErrorRate?: number; refreshResponseLostRate?: number };
  readonly stats: {
    refreshes: number;
    refreshReuse: number;
    injected5xx: number;
    refreshResponsesLost?: number;
    refreshReplays?: number;
  };
  /** Numbers token requests; seeds their fault rolls. */
  tokenRequests: number;
  hit(endpoint: string): void;
  /** A user authorized through the browser flow: make sure their data exists. */
  touchUser(userKey: string): void;
}

export interface OAuthRoutes {
  tokenPath: string;
  authorizePath: string;
  /** WHOOP rejects a state shorter than 8 characters. */
  minStateLength?: number;
  /**
   * Stricter than a provider may be: PKCE S256 is required, so a client that drops it fails the
   * browser-login tests instead of passing them.
   */
  requirePkce?: boolean;
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description }, NO_STORE);
}

function clientCredentials(req: IncomingMessage, form: URLSearchParams): [string | null, string | null] {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      // RFC 6749 §2.3.1 form-encodes id and secret before Basic encoding; undo it.
      const unform = (s: string) => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '));
        } catch {
          return s;
        }
      };
      return [unform(decoded.slice(0, colon)), unform(decoded.slice(colon + 1))];
    }
  }
  return [form.get('client_id'), form.get('client_secret')];
}

function tokenResponse(tokens: {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scope: string;
}) {
  return {
    access_token: tokens.accessToken,
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    scope: tokens.scope,
    token_type: 'bearer',
  };
}

export async function handleToken(
  host: OAuthHost,
  routes: OAuthRoutes,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  host.hit(`${req.method} ${routes.tokenPath}`);
  if (req.method !== 'POST') return oauthError(res, 405, 'invalid_request', 'use POST');
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return oauthError(res, 400, 'invalid_request', 'body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(await readBody(req));
  const [clientId, clientSecret] = clientCredentials(req, form);
  if (clientId !== host.clientId || clientSecret !== host.clientSecret) {
    return oauthError(res, 401, 'invalid_client', 'client authentication failed');
  }
  if (hash01(`${host.seed}|token-fault|${host.tokenRequests++}`) < (host.faults.tokenServerErrorRate ?? 0)) {
    // Fails before the grant is looked at: the refresh token is NOT spent (a transient error).
    host.stats.injected5xx++;
    return sendJson(res, 503, { error: 'temporarily_unavailable' }, NO_STORE);
  }

  const grant = form.get('grant_type');
  if (grant === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return oauthError(res, 400, 'invalid_request', 'refresh_token is required');
    const outcome = host.tokens.refresh(refreshToken, form.get('scope') ?? undefined);
    if (!outcome.ok) {
      if (outcome.reason === 'spent') host.stats.refreshReuse++;
      return oauthError(
        res,
        400,
        'invalid_grant',
        `refresh token is ${outcome.reason === 'unknown' ? 'not valid' : outcome.reason}`,
      );
    }
    if (outcome.replayed) {
      host.stats.refreshReplays = (host.stats.refreshReplays ?? 0) + 1;
      return sendJson(res, 200, tokenResponse(outcome.tokens), NO_STORE);
    }
    host.stats.refreshes++;
    if (
      hash01(`${host.seed}|refresh-lost|${host.stats.refreshes}`) < (host.faults.refreshResponseLostRate ?? 0)
    ) {
      // Rotation committed (the old refresh token is spent, the new pair exists) but the answer never
      // arrives: the client sees a reset connection and still holds only the spent token.
      host.stats.refreshResponsesLost = (host.stats.refreshResponsesLost ?? 0) + 1;
      req.socket.destroy();
      return;
    }
    return sendJson(res, 200, tokenResponse(outcome.tokens), NO_STORE);
  }
  if (grant === 'authorization_code') {
    const outcome = host.tokens.redeemCode(
      form.get('code') ?? '',
      form.get('redirect_uri'),
      form.get('code_verifier'),
    );
    if (!outcome.ok) return oauthError(res, 400, 'invalid_grant', outcome.reason);
    return sendJson(res, 200, tokenResponse(outcome.tokens), NO_STORE);
  }
  return oauthError(res, 400, 'unsupported_grant_type', `grant_type '${grant ?? ''}' is not supported`);
}

type Refusal = [number, string, string];

function pkceOf(query: URLSearchParams): PkceChallenge | Refusal | undefined {
  const challenge = query.get('code_challenge');
  if (!challenge) return undefined;
  const method = query.get('code_challenge_method') ?? 'plain';
  if (method !== 'S256' && method !== 'plain') {
    return [400, 'invalid_request', 'code_challenge_method must be S256 or plain'];
  }
  return { challenge, method };
}

/** GET <authorizePath>: approves immediately and redirects with a code; `login_hint` names the user. */
export function handleAuthorize(
  host: OAuthHost,
  routes: OAuthRoutes,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> | void {
  host.hit(`${req.method} ${routes.authorizePath}`);
  const redirectUri = query.get('redirect_uri');
  const refuse = (refusal: Refusal) => oauthError(res, ...refusal);
  if (query.get('client_id') !== host.clientId) return refuse([400, 'invalid_client', 'unknown client_id']);
  if (query.get('response_type') !== 'code' || !redirectUri) {
    return refuse([400, 'invalid_request', 'response_type=code and redirect_uri are required']);
  }
  if ((query.get('state') ?? '').length < (routes.minStateLength ?? 0)) {
    return refuse([400, 'invalid_state', `state must be at least ${routes.minStateLength} characters`]);
  }
  const pkce = pkceOf(query);
  if (Array.isArray(pkce)) return refuse(pkce);
  if (routes.requirePkce && (pkce?.method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(pkce.challenge))) {
    return refuse([
      400,
      'invalid_request',
      'PKCE is required: code_challenge (S256, base64url) and code_challenge_method=S256',
    ]);
  }
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return refuse([400, 'invalid_request', 'redirect_uri is not a URL']);
  }
  const userKey = query.get('login_hint') || 'sandbox-user';
  const scope = query.get('scope') || host.tokens.defaultScope;
  host.touchUser(userKey);
  target.searchParams.set('code', host.tokens.issueCode(userKey, redirectUri, scope, pkce));
  target.searchParams.set('scope', scope);
  target.searchParams.set('state', query.get('state') ?? '');
  res.writeHead(302, { Location: target.toString() });
  res.end();
}
