// The one place that knows every provider by name: builds each provider's client from the
// configuration, with its app-wide request budget shared through Postgres.
import type { Sql } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import type { Logger } from '../worker/logger.ts';
import type { RequestEvent } from './http.ts';
import { createSharedBudget } from './rate-budget.ts';
import type { ProviderApi } from './types.ts';
import { createWhoopProvider } from './whoop/index.ts';

export interface ProviderDeps {
  sql: Sql;
  logger: Logger;
  onRequest?: (event: RequestEvent & { provider: string }) => void;
}

export function createProviders(config: Config, deps: ProviderDeps): ReadonlyMap<string, ProviderApi> {
  const whoopLogger = deps.logger.child({ provider: 'whoop' });
  const whoop = createWhoopProvider({
    apiUrl: config.WHOOP_API_URL,
    tokenUrl: config.WHOOP_TOKEN_URL,
    clientId: config.WHOOP_CLIENT_ID,
    clientSecret: config.WHOOP_CLIENT_SECRET,
    timeoutMs: config.WHOOP_REQUEST_TIMEOUT_MS,
    budget: createSharedBudget(deps.sql, 'whoop', config.WHOOP_REQUESTS_PER_MINUTE, {
      requestsPerDay: config.WHOOP_REQUESTS_PER_DAY,
      logger: whoopLogger,
    }),
    logger: whoopLogger,
    onRequest: (event) => deps.onRequest?.({ ...event, provider: 'whoop' }),
  });
  return new Map<string, ProviderApi>([[whoop.name, whoop]]);
}
