// Builds every provider module's runtime from the configuration, at worker start. The request
// budget is made by a factory the caller passes in (the worker's is shared through Postgres), so
// nothing in providers/ reaches for store/ or worker/.
import type { RequestEvent } from './http.ts';
import { providerModules } from './modules.ts';
import type { ProviderBudget, ProviderLogger, ProviderModule, ProviderRuntime, RateBudget } from './types.ts';

export interface RegistryLogger extends ProviderLogger {
  child(bindings: Record<string, unknown>): ProviderLogger;
}

export interface RegistryDeps {
  logger: RegistryLogger;
  /** One app-wide budget per provider, from the limits its configuration grants. */
  budgetFor(provider: string, limits: ProviderBudget, logger: ProviderLogger): RateBudget;
  onRequest?: (event: RequestEvent & { provider: string }) => void;
}

export type ProviderRuntimes = ReadonlyMap<string, ProviderRuntime>;

export function createProviderRuntimes(
  config: Record<string, unknown>,
  deps: RegistryDeps,
  modules: readonly ProviderModule[] = providerModules,
): ProviderRuntimes {
  const runtimes = new Map<string, ProviderRuntime>();
  for (const module of modules) {
    const { name } = module.descriptor;
    const logger = deps.logger.child({ provider: name });
    const runtime = module.createRuntime(config, {
      budget: deps.budgetFor(name, module.budgetFrom(config), logger),
      logger,
      onRequest: (event) => deps.onRequest?.({ ...event, provider: name }),
    });
    runtimes.set(name, runtime);
  }
  return runtimes;
}

/** Each provider's display name and budget, as configured: the rows of the `providers` table. */
export function providerBudgets(
  config: Record<string, unknown>,
  modules: readonly ProviderModule[] = providerModules,
) {
  return modules.map((module) => {
    const budget = module.budgetFrom(config);
    return {
      name: module.descriptor.name,
      displayName: module.descriptor.displayName,
      requestsPerMinute: budget.perMinute,
      requestsPerDay: budget.perDay ?? null,
    };
  });
}
