// The budget planner (docs/architecture.md, "The budget plan"): pure arithmetic that picks each
// connection's sync interval so a provider's day budget holds, and forecasts whether today's budget
// lasts. A provider's app budget is shared by every user: 10,000 requests a day cover about
// 26 users syncing four kinds every 15 minutes, so at scale the interval must follow the number of
// connections, and a provider whose webhooks are flowing is polled only as a safety net.

export interface PlanConnection {
  userId: string;
  /** Requests one incremental sync of this connection costs (observed, or one page per kind). */
  requestsPerSync: number;
}

export interface ProviderDemand {
  provider: string;
  requestsPerMinute: number;
  /** Undefined: the provider sets no daily limit; only the minute budget bounds the plan. */
  requestsPerDay?: number;
  /** Webhooks arrived recently: they carry freshness, polling is the safety net. */
  webhooks: boolean;
  /**
   * Requests per day expected outside the schedules: webhook fetches and on-demand reads (observed,
   * or an estimate). Reserved before the schedules get their share.
   */
  interactiveRequestsPerDay: number;
  connections: readonly PlanConnection[];
}

export interface PlanOptions {
  /** The shortest interval offered (SYNC_INTERVAL_MINUTES). */
  minIntervalMinutes: number;
  /** The interval of a provider whose webhooks are flowing (default 720: twice a day). */
  webhookPollMinutes?: number;
  /**
   * Share of the day budget, after the interactive reserve, that schedules may take; the rest is
   * left to backfills (default 0.75).
   */
  syncShare?: number;
  /** Least share of the day budget reserved for interactive fetches even if none were seen (0.05). */
  interactiveFloorShare?: number;
  /** Share of the minute budget schedules may take, their runs spread evenly by offsets (0.5). */
  minuteShare?: number;
  /**
   * Headroom on what backfills must leave (default 0.1): interactive fetches are an estimate and
   * arrive at random, so the reserve is that much larger than the plan's expectation.
   */
  reserveMargin?: number;
}

export interface ProviderPlan {
  provider: string;
  requestsPerMinute: number;
  requestsPerDay?: number;
  webhooks: boolean;
  connections: number;
  /** Sum over connections of one sync's requests. */
  requestsPerSync: number;
  intervalMinutes: number;
  syncRequestsPerDay: number;
  interactiveReservePerDay: number;
  /** What backfills may never spend: syncs plus the interactive reserve, with a margin, per day. */
  reservedPerDay: number;
  /** False when even the longest interval cannot keep the syncs inside their share of the day. */
  fits: boolean;
}

export interface ConnectionPlan {
  provider: string;
  userId: string;
  intervalMinutes: number;
  /** Where in the interval this connection's schedule fires, spreading syncs evenly. */
  offsetMinutes: number;
  requestsPerSync: number;
}

export interface BudgetPlan {
  providers: ProviderPlan[];
  connections: ConnectionPlan[];
}

const DAY_MINUTES = 24 * 60;

/** Intervals a schedule may use: they divide a day, so syncs land at the same times every day. */
export const INTERVAL_STEPS = [
  1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440,
];

export function planBudget(demands: readonly ProviderDemand[], options: PlanOptions): BudgetPlan {
  const providers: ProviderPlan[] = [];
  const connections: ConnectionPlan[] = [];
  for (const demand of demands) {
    const plan = planProvider(demand, options);
    providers.push(plan);
    connections.push(...spread(demand, plan.intervalMinutes));
  }
  return { providers, connections };
}

export function planProvider(demand: ProviderDemand, options: PlanOptions): ProviderPlan {
  const syncShare = options.syncShare ?? 0.75;
  const floorShare = options.interactiveFloorShare ?? 0.05;
  const minuteShare = options.minuteShare ?? 0.5;
  const margin = options.reserveMargin ?? 0.1;
  const requestsPerSync = demand.connections.reduce((sum, c) => sum + Math.max(0, c.requestsPerSync), 0);
  const perDay = demand.requestsPerDay;
  const interactiveReservePerDay =
    perDay === undefined
      ? Math.ceil(demand.interactiveRequestsPerDay)
      : Math.min(perDay, Math.ceil(Math.max(demand.interactiveRequestsPerDay, perDay * floorShare)));

  // The shortest interval each limit allows.
  const byMinute = requestsPerSync / (demand.requestsPerMinute * minuteShare);
  const syncBudgetPerDay =
    perDay === undefined ? Number.POSITIVE_INFINITY : (perDay - interactiveReservePerDay) * syncShare;
  const byDay =
    syncBudgetPerDay > 0 ? (DAY_MINUTES * requestsPerSync) / syncBudgetPerDay : Number.POSITIVE_INFINITY;
  const floor = Math.max(
    options.minIntervalMinutes,
    demand.webhooks ? (options.webhookPollMinutes ?? 720) : 0,
    byMinute,
    byDay,
  );
  const intervalMinutes = INTERVAL_STEPS.find((step) => step >= floor) ?? DAY_MINUTES;
  const syncRequestsPerDay = Math.ceil((requestsPerSync * DAY_MINUTES) / intervalMinutes);
  const fits = floor <= DAY_MINUTES;
  return {
    provider: demand.provider,
    requestsPerMinute: demand.requestsPerMinute,
    requestsPerDay: perDay,
    webhooks: demand.webhooks,
    connections: demand.connections.length,
    requestsPerSync,
    intervalMinutes,
    syncRequestsPerDay,
    interactiveReservePerDay,
    reservedPerDay: Math.min(
      perDay ?? Number.POSITIVE_INFINITY,
      Math.ceil((syncRequestsPerDay + interactiveReservePerDay) * (1 + margin)),
    ),
    fits,
  };
}

/** Offsets spread evenly over the interval, in user order, so the schedules never fire together. */
function spread(demand: ProviderDemand, intervalMinutes: number): ConnectionPlan[] {
  const sorted = [...demand.connections].sort((a, b) =>
    a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0,
  );
  return sorted.map((connection, index) => ({
    provider: demand.provider,
    userId: connection.userId,
    intervalMinutes,
    offsetMinutes: Math.floor((index * intervalMinutes) / Math.max(1, sorted.length)),
    requestsPerSync: connection.requestsPerSync,
  }));
}

export interface DayForecast {
  provider: string;
  requestsPerDay?: number;
  usedToday: number;
  /** What the plan still needs today for syncs and interactive fetches. */
  reservedRemaining: number;
  projectedEndOfDay: number;
  /** Used so far plus the plan's remaining need stays within the day budget. */
  willLast: boolean;
  /** What backfills may still spend today. */
  backfillRoom: number;
  /** At today's average pace so far, when the day budget would run out (undefined: it would not). */
  exhaustedAtPace?: Date;
}

/** Will today's budget last? The same arithmetic as the `budget_forecast` view (sql/086_budget_plan.sql). */
export function forecastDay(plan: ProviderPlan, usedToday: number, now: Date): DayForecast {
  const dayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const msLeft = dayStart + 86_400_000 - now.getTime();
  const leftShare = msLeft / 86_400_000;
  const reservedRemaining = Math.ceil(plan.reservedPerDay * leftShare);
  const projectedEndOfDay = usedToday + reservedRemaining;
  const perDay = plan.requestsPerDay;
  const elapsedMs = now.getTime() - dayStart;
  let exhaustedAtPace: Date | undefined;
  if (perDay !== undefined && usedToday > 0 && elapsedMs > 0) {
    const at = dayStart + (perDay / usedToday) * elapsedMs;
    if (at < dayStart + 86_400_000) exhaustedAtPace = new Date(at);
  }
  return {
    provider: plan.provider,
    requestsPerDay: perDay,
    usedToday,
    reservedRemaining,
    projectedEndOfDay,
    willLast: perDay === undefined || projectedEndOfDay <= perDay,
    // The shared budget keeps at least an hour's reserve from backfills (providers/rate-budget.ts).
    backfillRoom:
      perDay === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(0, perDay - usedToday - Math.ceil(plan.reservedPerDay * Math.max(1 / 24, leftShare))),
    exhaustedAtPace,
  };
}
