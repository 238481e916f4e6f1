// WHOOP's OAuth 2.0 endpoints: the token endpoint (refresh_token and authorization_code grants,
// form-encoded, client_secret_post or HTTP Basic) and an authorize endpoint that approves at once,
// so `wearhouse connect` can run its browser flow against the sandbox. The code grant checks the
// redirect_uri and the PKCE verifier (S256, required). Not rate-limited.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http.ts';
import { hash01 } from './prng.ts';
import type { SandboxState } from './state.ts';
import { DEFAULT_SCOPE, type IssuedTokens } from './tokens.ts';

export const TOKEN_PATH = '/oauth/oauth2/token';
export const AUTH_PATH = '/oauth/oauth2/auth';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

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

function tokenResponse(tokens: IssuedTokens): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    scope: tokens.scope,
    token_type: 'bearer',
  };
}

export async function handleToken(
  state: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  state.hit(`${req.method} ${TOKEN_PATH}`);
  if (req.method !== 'POST') return oauthError(res, 405, 'invalid_request', 'use POST');
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return oauthError(res, 400, 'invalid_request', 'body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(await readBody(req));
  const [clientId, clientSecret] = clientCredentials(req, form);
  if (clientId !== state.clientId || clientSecret !== state.clientSecret) {
    return oauthError(res, 401, 'invalid_client', 'client authentication failed');
  }
  if (
    hash01(`${state.seed}|token-fault|${state.tokenRequests++}`) < (state.faults.tokenServerErrorRate ?? 0)
  ) {
    // Fails before the grant is looked at: the refresh token is NOT spent (a transient error).
    state.stats.injected5xx++;
    return sendJson(res, 503, { error: 'temporarily_unavailable' }, NO_STORE);
  }

  const grant = form.get('grant_type');
  if (grant === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return oauthError(res, 400, 'invalid_request', 'refresh_token is required');
    const outcome = state.tokens.refresh(refreshToken, form.get('scope') ?? undefined);
    if (!outcome.ok) {
      if (outcome.reason === 'spent') state.stats.refreshReuse++;
      return oauthError(
        res,
        400,
        'invalid_grant',
        `refresh token is ${outcome.reason === 'unknown' ? 'not valid' : outcome.reason}`,
      );
    }
    if (outcome.replayed) {
      state.stats.refreshReplays++;
      return sendJson(res, 200, tokenResponse(outcome.tokens), NO_STORE);
    }
    state.stats.refreshes++;
    if (
      hash01(`${state.seed}|refresh-lost|${state.stats.refreshes}`) <
      (state.faults.refreshResponseLostRate ?? 0)
    ) {
      // Rotation committed (the old refresh token is spent, the new pair exists) but the answer never
      // arrives: the client sees a reset connection and still holds only the spent token.
      state.stats.refreshResponsesLost++;
      req.socket.destroy();
      return;
    }
    return sendJson(res, 200, tokenResponse(outcome.tokens), NO_STORE);
  }
  if (grant === 'authorization_code') {
    const tokens = state.tokens.redeemCode(
      form.get('code') ?? '',
      form.get('redirect_uri'),
      form.get('code_verifier'),
    );
    if (typeof tokens === 'string') {
      return oauthError(res, 400, 'invalid_grant', `authorization code is not valid: ${tokens}`);
    }
    return sendJson(res, 200, tokenResponse(tokens), NO_STORE);
  }
  return oauthError(res, 400, 'unsupported_grant_type', `grant_type '${grant ?? ''}' is not supported`);
}

/** Why an authorize request is refused, or the redirect target when it is fine. */
function checkAuthorize(state: SandboxState, query: URLSearchParams): URL | [number, string, string] {
  const redirectUri = query.get('redirect_uri');
  if (query.get('client_id') !== state.clientId) return [400, 'invalid_client', 'unknown client_id'];
  if (query.get('response_type') !== 'code' || !redirectUri) {
    return [400, 'invalid_request', 'response_type=code and redirect_uri are required'];
  }
  // WHOOP rejects a state shorter than 8 characters; so do we, to catch clients that omit it.
  if ((query.get('state') ?? '').length < 8)
    return [400, 'invalid_state', 'state must be at least 8 characters'];
  // Stricter than a provider may be: PKCE S256 is required, so a client that drops it fails here.
  if (
    !/^[A-Za-z0-9_-]{43}$/.test(query.get('code_challenge') ?? '') ||
    query.get('code_challenge_method') !== 'S256'
  ) {
    return [
      400,
      'invalid_request',
      'PKCE is required: code_challenge (S256, base64url) and code_challenge_method=S256',
    ];
  }
  try {
    return new URL(redirectUri);
  } catch {
    return [400, 'invalid_request', 'redirect_uri is not a URL'];
  }
}

/** GET /oauth/oauth2/auth: approves immediately and redirects with a code; `login_hint` names the user. */
export function handleAuthorize(
  state: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): void {
  state.hit(`${req.method} ${AUTH_PATH}`);
  const target = checkAuthorize(state, query);
  if (Array.isArray(target)) {
    oauthError(res, ...target);
    return;
  }
  const userKey = query.get('login_hint') || 'sandbox-user';
  const scope = query.get('scope') || DEFAULT_SCOPE;
  state.user(userKey);
  const redirectUri = query.get('redirect_uri') ?? '';
  const challenge = query.get('code_challenge') ?? '';
  target.searchParams.set('code', state.tokens.issueCode(userKey, redirectUri, scope, challenge));
  target.searchParams.set('scope', scope);
  target.searchParams.set('state', query.get('state') ?? '');
  res.writeHead(302, { Location: target.toString() });
  res.end();
}
