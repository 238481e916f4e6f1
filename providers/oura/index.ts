// Oura v2 as a ProviderModule: its environment, its budget, and the runtime activities call
// (docs/oura.md).
import { z } from 'zod';
import { envInt, envUrl } from '../env.ts';
import { ProviderError } from '../errors.ts';
import type { Credentials, MappedPage, ProviderModule, ProviderRuntime, RequestStats } from '../types.ts';
import { createOuraClient, type OuraClient, type OuraClientOptions, ouraHttpContext } from './client.ts';
import { OURA_KINDS, OURA_OPT_IN_KINDS, ouraDescriptor } from './descriptor.ts';
import { isOuraKind, mapOuraDocuments } from './mapping.ts';
import { createOuraSubscriptions } from './subscriptions.ts';
import { createOuraWebhooks } from './webhooks.ts';

export { createOuraClient, type OuraClient, ouraDateRange } from './client.ts';
export { ouraDescriptor } from './descriptor.ts';
export { mapOuraDocuments } from './mapping.ts';

/** Oura's environment variables (docs/architecture.md, Configuration), for the config loader to merge. */
export const ouraConfigSchema = z.object({
  OURA_API_URL: envUrl(['https:', 'http:']).default('https://api.ouraring.com'),
  OURA_TOKEN_URL: envUrl(['https:', 'http:']).default('https://api.ouraring.com/oauth/token'),
  OURA_AUTHORIZE_URL: envUrl(['https:', 'http:']).default('https://cloud.ouraring.com/oauth/authorize'),
  OURA_CLIENT_ID: z.string().trim().min(1).optional(),
  OURA_CLIENT_SECRET: z.string().trim().min(1).optional(),
  /** 5,000 requests per 5 minutes per app, spaced evenly. */
  OURA_REQUESTS_PER_MINUTE: envInt(1, 100_000, 1000),
  /** Per request, including reading the body; a slower answer is a transient failure, retried. */
  OURA_REQUEST_TIMEOUT_MS: envInt(100, 300_000, 30_000),
  /** The token Oura echoes when it checks a webhook subscription (GET ?verification_token&challenge). */
  OURA_WEBHOOK_VERIFICATION_TOKEN: z.string().trim().min(1).optional(),
});
export type OuraConfig = z.output<typeof ouraConfigSchema>;

export interface OuraRuntime extends ProviderRuntime {
  readonly client: OuraClient;
  /** The user's Oura id (personal_info.id), which webhook notifications carry as user_id. */
  fetchUserId(credentials: Credentials, stats: RequestStats): Promise<string>;
}

function accessTokenOf(credentials: Credentials): string {
  if (credentials.type !== 'oauth') {
    throw new ProviderError(`Oura needs OAuth credentials, got ${credentials.type}`, 'invalid_input');
  }
  return credentials.accessToken;
}

export function createOuraRuntime(
  options: OuraClientOptions & { authorizeUrl: string; webhookVerificationToken?: string },
): OuraRuntime {
  const client = createOuraClient(options);
  const kinds: readonly string[] = [...OURA_KINDS, ...OURA_OPT_IN_KINDS];
  return {
    descriptor: ouraDescriptor,
    client,
    async fetchPage(credentials, request, stats) {
      if (!kinds.includes(request.kind)) {
        throw new ProviderError(
          `Oura has no kind '${request.kind}' (kinds: ${kinds.join(', ')})`,
          'invalid_input',
        );
      }
      const { start, end, cursor } = request;
      return client.fetchCollectionPage(
        accessTokenOf(credentials),
        request.kind as (typeof OURA_KINDS)[number],
        { start, end, cursor },
        stats,
      );
    },
    mapDocuments(kind, documents): MappedPage {
      if (!isOuraKind(kind)) throw new ProviderError(`Oura has no kind '${kind}'`, 'invalid_input');
      return mapOuraDocuments(kind, documents);
    },
    oauth: {
      authorizeUrl: options.authorizeUrl,
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      refreshTokens: (refreshToken, stats) => client.refreshTokens(refreshToken, stats),
      exchangeCode: (code, redirectUri, verifier, stats) =>
        client.exchangeCode(code, redirectUri, verifier, stats),
    },
    webhooks: {
      ...createOuraWebhooks(options.clientSecret, options.webhookVerificationToken),
      subscriptions: createOuraSubscriptions({
        ctx: ouraHttpContext(options),
        apiUrl: options.apiUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        verificationToken: options.webhookVerificationToken,
      }),
    },
    async fetchUserId(credentials, stats) {
      const body = await client.fetchPersonalInfo(accessTokenOf(credentials), stats);
      const { records, quarantined } = mapOuraDocuments('personal_info', [body]);
      const id = records[0]?.payload.id;
      if (typeof id !== 'string') {
        throw new ProviderError(`Oura personal_info: ${quarantined[0]?.reason ?? 'no id'}`, 'client_error');
      }
      return id;
    },
  };
}

export const provider = {
  descriptor: ouraDescriptor,
  envSchema: ouraConfigSchema,
  budgetFrom: (config) => ({ perMinute: config.OURA_REQUESTS_PER_MINUTE }),
  createRuntime: (config, deps) =>
    createOuraRuntime({
      apiUrl: config.OURA_API_URL,
      tokenUrl: config.OURA_TOKEN_URL,
      authorizeUrl: config.OURA_AUTHORIZE_URL,
      clientId: config.OURA_CLIENT_ID,
      clientSecret: config.OURA_CLIENT_SECRET,
      webhookVerificationToken: config.OURA_WEBHOOK_VERIFICATION_TOKEN,
      timeoutMs: config.OURA_REQUEST_TIMEOUT_MS,
      budget: deps.budget,
      logger: deps.logger,
      onRequest: deps.onRequest,
    }),
  sandbox: () => import('./sandbox-module.ts').then((m) => m.ouraSandbox),
} satisfies ProviderModule<typeof ouraConfigSchema>;
