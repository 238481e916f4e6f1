// Junction as a ProviderModule: its environment, its budget, and the runtime activities call.
// Auth is the app's API key (configuration); a connection stores only the user's Junction id.
import { z } from 'zod';
import { envInt, envUrl } from '../env.ts';
import { ProviderError } from '../errors.ts';
import type { Credentials, ProviderModule, ProviderRuntime } from '../types.ts';
import { createJunctionClient, JUNCTION_DEFAULT_API_URL, type JunctionClientOptions } from './client.ts';
import {
  isJunctionSummaryKind,
  isJunctionTimeseriesKind,
  JUNCTION_SUMMARY_KINDS,
  JUNCTION_TIMESERIES_KINDS,
  junctionDescriptor,
} from './descriptor.ts';
import { mapJunctionDocuments } from './mapping.ts';
import { createJunctionWebhooks } from './webhooks.ts';

export { createJunctionClient, type JunctionClient } from './client.ts';
export { junctionDescriptor } from './descriptor.ts';
export { mapJunctionDocuments } from './mapping.ts';

/** Junction's environment variables (docs/junction.md), for the config loader to merge. */
export const junctionConfigSchema = z.object({
  /** Region and environment: api.us / api.eu, and api.sandbox.us / api.sandbox.eu, .junction.com. */
  JUNCTION_API_URL: envUrl(['https:', 'http:']).default(JUNCTION_DEFAULT_API_URL),
  JUNCTION_API_KEY: z.string().trim().min(1).optional(),
  /** Junction has no fixed limit (it answers 429/503 under load): this is our own app-wide budget. */
  JUNCTION_REQUESTS_PER_MINUTE: envInt(1, 10_000, 300),
  /** The Svix endpoint secret (whsec_…); webhooks are refused while it is unset. */
  JUNCTION_WEBHOOK_SECRET: z.string().trim().min(1).optional(),
  JUNCTION_REQUEST_TIMEOUT_MS: envInt(100, 300_000, 30_000),
});
export type JunctionConfig = z.output<typeof junctionConfigSchema>;

const ALL_KINDS = [...JUNCTION_SUMMARY_KINDS, ...JUNCTION_TIMESERIES_KINDS];

function junctionUserOf(credentials: Credentials): string {
  if (credentials.type !== 'api_key') {
    throw new ProviderError(`Junction needs an api_key connection, got ${credentials.type}`, 'invalid_input');
  }
  return credentials.externalUserId;
}

export function createJunctionRuntime(
  options: JunctionClientOptions & { webhookSecret?: string },
): ProviderRuntime {
  const client = createJunctionClient(options);
  return {
    descriptor: junctionDescriptor,
    async fetchPage(credentials, request, stats) {
      const userId = junctionUserOf(credentials);
      const { kind, start, end, cursor } = request;
      if (isJunctionSummaryKind(kind)) return client.fetchSummary(userId, kind, { start, end }, stats);
      if (isJunctionTimeseriesKind(kind))
        return client.fetchHeartRatePage(userId, { start, end, cursor }, stats);
      throw new ProviderError(
        `Junction has no kind '${kind}' (kinds: ${ALL_KINDS.join(', ')})`,
        'invalid_input',
      );
    },
    mapDocuments(kind, documents) {
      if (!isJunctionSummaryKind(kind) && !isJunctionTimeseriesKind(kind)) {
        throw new ProviderError(`Junction has no kind '${kind}'`, 'invalid_input');
      }
      return mapJunctionDocuments(kind, documents);
    },
    validateExternalUser: (userId, stats) => client.validateExternalUser(userId, stats),
    webhooks: createJunctionWebhooks(options.webhookSecret),
  };
}

export const provider = {
  descriptor: junctionDescriptor,
  envSchema: junctionConfigSchema,
  budgetFrom: (config) => ({ perMinute: config.JUNCTION_REQUESTS_PER_MINUTE }),
  createRuntime: (config, deps) =>
    createJunctionRuntime({
      apiUrl: config.JUNCTION_API_URL,
      apiKey: config.JUNCTION_API_KEY,
      webhookSecret: config.JUNCTION_WEBHOOK_SECRET,
      timeoutMs: config.JUNCTION_REQUEST_TIMEOUT_MS,
      budget: deps.budget,
      logger: deps.logger,
      onRequest: deps.onRequest,
    }),
  sandbox: () => import('./sandbox-module.ts').then((m) => m.junctionSandbox),
} satisfies ProviderModule<typeof junctionConfigSchema>;
