// The budget part of `wearhouse status`: each provider's plan (interval, connections, the share of
// the day reserved for syncs and interactive fetches) and today's forecast (docs/architecture.md,
// "The budget plan"). The same numbers as the pipeline dashboard's budget panels.
import { type DayForecast, forecastDay, type ProviderPlan } from '../providers/budget-planner.ts';
import { readProviderPlans, readUsedToday } from '../store/budget-plan.ts';
import type { Sql } from '../store/db.ts';

export interface BudgetStatus {
  plan: ProviderPlan & { plannedAt: Date };
  forecast: DayForecast;
}

export async function loadBudgetStatus(sql: Sql): Promise<BudgetStatus[]> {
  const plans = await readProviderPlans(sql);
  const { used, now } = await readUsedToday(sql);
  return plans.map((plan) => ({ plan, forecast: forecastDay(plan, used.get(plan.provider) ?? 0, now) }));
}

/** One line per provider, e.g. `p: 1000 connections every 24h (webhooks) · today 4210/10000 used, …`. */
export function budgetLines(statuses: readonly BudgetStatus[]): string[] {
  return statuses.map(({ plan, forecast }) => {
    const every = plan.intervalMinutes >= 60 ? `${plan.intervalMinutes / 60}h` : `${plan.intervalMinutes}m`;
    const limit = plan.requestsPerDay === undefined ? 'no daily limit' : `${plan.requestsPerDay}/day`;
    const head = `${plan.provider}: ${plan.connections} connection(s) every ${every}${plan.webhooks ? ' (webhooks flowing)' : ''}, ${plan.syncRequestsPerDay} sync + ${plan.interactiveReservePerDay} interactive requests/day planned of ${limit}, ${plan.requestsPerMinute}/min`;
    const verdict =
      forecast.requestsPerDay === undefined
        ? `today ${forecast.usedToday} used`
        : `today ${forecast.usedToday}/${forecast.requestsPerDay} used, ${forecast.reservedRemaining} still planned → ${forecast.willLast ? 'lasts' : 'WILL NOT LAST'}; backfills may use ${forecast.backfillRoom} more`;
    const warning = plan.fits
      ? ''
      : ' · the syncs do not fit the day budget even once a day: add webhooks or a larger budget';
    return `${head} · ${verdict}${warning}`;
  });
}

export async function printBudgetStatus(sql: Sql, options: { json: boolean }): Promise<void> {
  const statuses = await loadBudgetStatus(sql);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    return;
  }
  const lines = budgetLines(statuses);
  process.stdout.write(
    lines.length > 0
      ? `budget plan\n${lines.map((l) => `  ${l}`).join('\n')}\n`
      : 'budget plan: none yet (a worker computes it at start and hourly; `wearhouse connect` too)\n',
  );
}
