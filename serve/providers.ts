// What `serve` takes from each provider's runtime (providers/types.ts): its webhooks, and the OAuth
// app its hosted connect uses. Found by name; no provider is named here.
import type { ProviderRuntimes } from '../providers/registry.ts';
import type { RequestStats, TokenSet, WebhookRuntime } from '../providers/types.ts';

/** Some providers verify an endpoint with a GET challenge: a runtime's webhooks may answer it. */
export interface ChallengeCapable {
  challenge?(query: Record<string, string | undefined>): { status: number; body: unknown };
}

export function webhooksOf(
  providers: ProviderRuntimes,
  name: string,
): (WebhookRuntime & ChallengeCapable) | undefined {
  return providers.get(name)?.webhooks;
}

export interface ConnectApp {
  authorizeUrl: string;
  clientId: string;
  scope: string;
  pkce: boolean;
  exchangeCode(code: string, redirectUri: string, codeVerifier: string | undefined): Promise<TokenSet>;
  /** The provider's id of the user behind a token, where the runtime can tell (from the user's profile). */
  identify?(accessToken: string): Promise<string | undefined>;
}

const freshStats = (): RequestStats => ({ apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 });

/** Hosted connect needs an OAuth runtime with its client configured and the descriptor's scopes. */
export function connectAppOf(providers: ProviderRuntimes, name: string): ConnectApp | undefined {
  const runtime = providers.get(name);
  const oauth = runtime?.oauth;
  const facts = runtime?.descriptor.oauth;
  if (!runtime || !oauth || !facts || !oauth.clientId || !oauth.clientSecret) return undefined;
  const identify = (
    runtime as { identify?: (token: string, stats: RequestStats) => Promise<string | undefined> }
  ).identify;
  return {
    authorizeUrl: oauth.authorizeUrl,
    clientId: oauth.clientId,
    scope: facts.scopes,
    pkce: facts.pkce,
    exchangeCode: (code, redirectUri, verifier) =>
      oauth.exchangeCode(code, redirectUri, verifier, freshStats()),
    ...(identify ? { identify: (token: string) => identify.call(runtime, token, freshStats()) } : {}),
  };
}
