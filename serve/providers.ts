// What `serve` takes from each provider's runtime (providers/types.ts): its webhooks, and the OAuth
// app its hosted connect uses. Found by name; no provider is named here.
import type { ProviderRuntimes } from '../providers/registry.ts';
import type { ProviderRuntime, RequestStats, TokenSet } from '../providers/types.ts';

/** The runtime of a provider that takes webhooks (its `webhooks`, and `mapDocuments` for carried documents). */
export function webhookRuntimeOf(providers: ProviderRuntimes, name: string): ProviderRuntime | undefined {
  const runtime = providers.get(name);
  return runtime?.webhooks ? runtime : undefined;
}

export interface ConnectApp {
  authorizeUrl: string;
  clientId: string;
  scope: string;
  pkce: boolean;
  exchangeCode(code: string, redirectUri: string, codeVerifier: string | undefined): Promise<TokenSet>;
  /** The provider's id of the user behind a token, where the runtime can tell. */
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
