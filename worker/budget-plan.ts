// Recomputing the budget plan and applying it to the sync schedules (docs/architecture.md, "The
// budget plan"). Runs at worker start, every hour in each worker (several workers recompute the same
// plan: idempotent), and on `wearhouse connect`. Only schedules whose planned interval or offset
// changed are updated, and only their spec: a schedule paused for reauth stays paused.
import type { Client } from '@temporalio/client';
import { type BudgetPlan, type ProviderDemand, planBudget } from '../providers/budget-planner.ts';
import { descriptorOf } from '../providers/catalog.ts';
import { providerBudgets } from '../providers/registry.ts';
import { readObservedDemand, type StoredConnectionPlan, saveBudgetPlan } from '../store/budget-plan.ts';
import type { Sql } from '../store/db.ts';
import type { Config } from './config.ts';
import { updateScheduleInterval } from './schedules.ts';

export interface BudgetPlanDeps {
  sql: Sql;
  client: Client;
  config: Config;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/** What one incremental sync costs when none was observed yet: one page per default kind. */
function defaultRequestsPerSync(provider: string): number {
  return Math.max(1, descriptorOf(provider)?.kinds.length ?? 1);
}

/** Per pull provider, the demand the planner sees: configured limits and observed activity. */
export async function currentDemand(sql: Sql, config: Config): Promise<ProviderDemand[]> {
  const budgets = providerBudgets(config).filter((b) => descriptorOf(b.name)?.mode === 'pull');
  const observed = await readObservedDemand(
    sql,
    budgets.map((b) => b.name),
  );
  return budgets.map((budget) => {
    const seen = observed.find((o) => o.provider === budget.name);
    return {
      provider: budget.name,
      requestsPerMinute: budget.requestsPerMinute,
      ...(budget.requestsPerDay === null ? {} : { requestsPerDay: budget.requestsPerDay }),
      webhooks: (seen?.webhookEventsLastDay ?? 0) > 0,
      interactiveRequestsPerDay: seen?.webhookEventsLastDay ?? 0,
      connections: (seen?.connections ?? []).map((c) => ({
        userId: c.userId,
        requestsPerSync: c.observedRequestsPerSync ?? defaultRequestsPerSync(budget.name),
      })),
    };
  });
}

/** Plans, stores the plan, and updates the schedules it changed. Returns the plan and those changes. */
export async function recomputeBudgetPlan(
  deps: BudgetPlanDeps,
): Promise<{ plan: BudgetPlan; changed: StoredConnectionPlan[] }> {
  const plan = planBudget(await currentDemand(deps.sql, deps.config), {
    minIntervalMinutes: deps.config.SYNC_INTERVAL_MINUTES,
  });
  const changed = await saveBudgetPlan(deps.sql, plan);
  for (const connection of changed) {
    await updateScheduleInterval(deps.client, connection);
  }
  for (const provider of plan.providers) {
    const log = provider.fits ? deps.logger?.info : deps.logger?.warn;
    log?.call(
      deps.logger,
      {
        provider: provider.provider,
        connections: provider.connections,
        intervalMinutes: provider.intervalMinutes,
        syncRequestsPerDay: provider.syncRequestsPerDay,
        requestsPerDay: provider.requestsPerDay,
        webhooks: provider.webhooks,
        changedSchedules: changed.filter((c) => c.provider === provider.provider).length,
      },
      provider.fits ? 'budget plan' : 'budget plan: the syncs do not fit the day budget even once a day',
    );
  }
  return { plan, changed };
}

/** Recomputes now and then every `everyMs` (default an hour) until stopped; failures are logged. */
export function keepBudgetPlanCurrent(deps: BudgetPlanDeps, everyMs = 3_600_000): { stop(): void } {
  const run = () =>
    recomputeBudgetPlan(deps).catch((error: unknown) =>
      deps.logger?.warn({ err: String(error) }, 'could not recompute the budget plan'),
    );
  void run();
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
