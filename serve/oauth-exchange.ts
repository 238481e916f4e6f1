// The authorization-code exchange of hosted connect (RFC 6749 §4.1.3 with PKCE, client_secret_post).
// Tokens go back to the caller only; errors carry the OAuth error code, never the response body.
import ky from 'ky';
import type { ConnectApp } from '../providers/serve-hooks.ts';

export class CodeExchangeError extends Error {}

export interface ExchangedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export async function exchangeCode(
  app: ConnectApp,
  code: string,
  redirectUri: string,
  codeVerifier: string,
): Promise<ExchangedTokens> {
  const response = await ky
    .post(app.tokenUrl, {
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: app.clientId,
        client_secret: app.clientSecret,
        ...(app.pkce ? { code_verifier: codeVerifier } : {}),
      }),
      retry: 0,
      timeout: 30_000,
      throwHttpErrors: false,
    })
    .catch((error: unknown) => {
      throw new CodeExchangeError(
        `token endpoint unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    throw new CodeExchangeError(
      `code exchange failed (HTTP ${response.status}${typeof body.error === 'string' ? `, ${body.error}` : ''})`,
    );
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 3600,
  };
}
