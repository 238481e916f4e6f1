// The OAuth authorization-code flow for `wearhouse connect <provider>` without tokens: a one-shot
// local callback server, `state` checked in constant time, PKCE (S256) when the provider's
// descriptor says so, then the code exchanged for a token pair by the provider's runtime
// (ProviderRuntime.oauth.exchangeCode). Tokens are returned to the caller only; nothing here logs them.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { TokenSet } from '../providers/types.ts';

export interface OAuthFlowOptions {
  authUrl: string;
  clientId: string;
  /** Must be registered with the provider app, e.g. http://localhost:8788/callback. */
  redirectUrl: string;
  scope: string;
  /** Send a PKCE challenge (S256) and the verifier with the code. Default true. */
  pkce?: boolean;
  /** The provider's code exchange (its token endpoint, client authentication and response shape). */
  exchange: (code: string, redirectUrl: string, codeVerifier: string | undefined) => Promise<TokenSet>;
  /** Shows the user the authorize URL (prints it; tests follow it). */
  open: (url: string) => void | Promise<void>;
  timeoutMs?: number;
}

export interface OAuthTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export class OAuthError extends Error {}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/**
 * Constant time whatever the inputs: both sides are hashed first, so timingSafeEqual always compares
 * 32 bytes and a length mismatch takes no shortcut that would leak the secret's length.
 */
export function sameSecret(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

export async function runOAuthFlow(options: OAuthFlowOptions): Promise<OAuthTokens> {
  const redirect = new URL(options.redirectUrl);
  const state = base64url(randomBytes(24));
  const verifier = options.pkce === false ? undefined : base64url(randomBytes(48));
  const authorize = new URL(options.authUrl);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUrl,
    scope: options.scope,
    state,
    ...(verifier
      ? {
          code_challenge: base64url(createHash('sha256').update(verifier).digest()),
          code_challenge_method: 'S256',
        }
      : {}),
  }).toString();

  const code = await new Promise<string>((resolve, reject) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', redirect);
      if (url.pathname !== redirect.pathname) {
        res.writeHead(404).end();
        return;
      }
      const finish = (status: number, message: string, outcome?: () => void) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
        // A forged or stale callback is refused but does not end the flow: the real one may follow.
        if (outcome) {
          clearTimeout(timer);
          server.close();
          outcome();
        }
      };
      const returned = url.searchParams.get('state') ?? '';
      // An error answer ends the login too, so it must carry this login's state like a code does:
      // otherwise anything that can reach the callback could cancel the login in progress.
      if (!sameSecret(returned, state)) {
        finish(400, 'state mismatch: this callback does not belong to the login in progress');
        return;
      }
      if (url.searchParams.has('error')) {
        const error = url.searchParams.get('error') ?? 'error';
        finish(400, `authorization failed: ${error}`, () =>
          reject(new OAuthError(`authorization was refused: ${error}`)),
        );
        return;
      }
      const received = url.searchParams.get('code');
      if (!received) {
        finish(400, 'no authorization code in the callback');
        return;
      }
      finish(200, 'wearhouse is connected; you can close this tab.', () => resolve(received));
    });
    const timer = setTimeout(
      () => {
        server.close();
        reject(new OAuthError('no authorization arrived in time'));
      },
      options.timeoutMs ?? 5 * 60_000,
    );
    server.once('error', (error) => {
      clearTimeout(timer);
      reject(new OAuthError(`cannot listen on ${redirect.host} for the OAuth callback: ${error.message}`));
    });
    server.listen(
      Number(redirect.port || 80),
      redirect.hostname === 'localhost' ? '127.0.0.1' : redirect.hostname,
      () => {
        Promise.resolve(options.open(authorize.toString())).catch(reject);
      },
    );
  });

  const tokens = await options.exchange(code, options.redirectUrl, verifier).catch((error: unknown) => {
    // The provider's error says what failed (status, OAuth error code); it never carries the body.
    throw new OAuthError(`code exchange failed: ${error instanceof Error ? error.message : String(error)}`);
  });
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresIn: Math.max(0, Math.round((tokens.expiresAt.getTime() - Date.now()) / 1000)),
  };
}
