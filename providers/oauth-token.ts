// The OAuth 2.0 token endpoint as every OAuth provider speaks it (RFC 6749 §4.1.3, §6): one request
// through the shared budget, its failures classified so that only a rejected grant or client is a
// revocation (DESIGN.md decision 6), and the answer parsed into a TokenSet. Bodies hold tokens: errors
// name issue paths and OAuth error codes only.
import { z } from 'zod';
import { ProviderError } from './errors.ts';
import { type FailedResponse, type HttpContext, requestJson } from './http.ts';
import { describeIssues } from './issues.ts';
import type { RequestStats, TokenSet } from './types.ts';

/** Metrics label of a token endpoint, whose URL is configurable. */
export const TOKEN_ENDPOINT = 'oauth/token';

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expires_in: z.number().positive(),
});

/** POSTs a grant to the token endpoint; `previousRefreshToken` stays in use when none comes back. */
export async function requestTokens(
  ctx: HttpContext,
  tokenUrl: string,
  form: Record<string, string>,
  stats: RequestStats,
  previousRefreshToken?: string,
): Promise<TokenSet> {
  const body = await requestJson(
    ctx,
    {
      method: 'POST',
      url: new URL(tokenUrl),
      endpoint: TOKEN_ENDPOINT,
      headers: { accept: 'application/json' },
      body: new URLSearchParams(form),
      classify: classifyTokenFailure,
    },
    stats,
  );
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new ProviderError(
      `${ctx.provider} token endpoint: unexpected response (${describeIssues(parsed.error)})`,
      'transient',
    );
  }
  const refreshToken = parsed.data.refresh_token ?? previousRefreshToken;
  if (!refreshToken) {
    throw new ProviderError(`${ctx.provider} token endpoint: no refresh token in the answer`, 'client_error');
  }
  return {
    accessToken: parsed.data.access_token,
    // RFC 6749 §6: without a new refresh token the old one stays valid.
    refreshToken,
    expiresAt: new Date(Date.now() + parsed.data.expires_in * 1000),
  };
}

/**
 * The token endpoint rejecting the grant or the client is a revocation: reauthorization is the only
 * way out. Its 5xx, timeouts and 429s stay transient or rate_limited (the shared default), because a
 * refresh that failed in transit is not a revocation.
 */
export function classifyTokenFailure({ status, json, label }: FailedResponse): ProviderError | undefined {
  const code = oauthErrorCode(json);
  const revoked = code === 'invalid_grant' || code === 'invalid_client' || status === 401;
  if ((status === 400 || status === 401) && revoked) {
    return new ProviderError(
      `${label}: HTTP ${status}${code ? ` ${code}` : ''}, refresh rejected: reauthorization required`,
      'reauth_required',
      status,
    );
  }
  if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
    return new ProviderError(`${label}: HTTP ${status}${code ? ` ${code}` : ''}`, 'client_error', status);
  }
  return undefined;
}

/** The OAuth `error` code, only when it looks like one (it is echoed into messages). */
function oauthErrorCode(json: unknown): string | undefined {
  const code = (json as { error?: unknown } | null | undefined)?.error;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}
