// The budget planner and the lane order, as pure functions (docs/architecture.md, "The budget plan"
// and "Priorities under one budget").
import { describe, expect, it } from 'vitest';
import {
  type BudgetWaiter,
  compareWaiters,
  currentAcquisition,
  inLane,
  LANE_KEYS,
  laneOfPriorityKey,
  pickNext,
} from '../providers/budget-lanes.ts';
import {
  forecastDay,
  INTERVAL_STEPS,
  type ProviderDemand,
  planBudget,
  planProvider,
} from '../providers/budget-planner.ts';
import { acquisitionOf } from '../worker/activity-budget-lane.ts';
import { PRIORITY_KEYS } from '../workflows/priorities.ts';

const users = (n: number, requestsPerSync = 4) =>
  Array.from({ length: n }, (_, i) => ({ userId: `u${String(i).padStart(4, '0')}`, requestsPerSync }));

const demand = (overrides: Partial<ProviderDemand>): ProviderDemand => ({
  provider: 'p',
  requestsPerMinute: 100,
  requestsPerDay: 10_000,
  webhooks: false,
  interactiveRequestsPerDay: 0,
  connections: users(10),
  ...overrides,
});

describe('planProvider', () => {
  it('keeps the minimum interval while the day budget allows it', () => {
    const plan = planProvider(demand({ connections: users(10) }), { minIntervalMinutes: 15 });
    expect(plan.intervalMinutes).toBe(15);
    expect(plan.syncRequestsPerDay).toBe(40 * 96);
    expect(plan.fits).toBe(true);
  });

  it('stretches the interval with the number of connections so the syncs fit their share of the day', () => {
    for (const n of [30, 100, 300, 1000]) {
      const plan = planProvider(demand({ connections: users(n) }), { minIntervalMinutes: 15 });
      const share = (10_000 - plan.interactiveReservePerDay) * 0.75;
      expect(plan.syncRequestsPerDay).toBeLessThanOrEqual(share);
      // The next shorter step would not fit: the interval is as short as the budget allows.
      const shorter = INTERVAL_STEPS[INTERVAL_STEPS.indexOf(plan.intervalMinutes) - 1] as number;
      if (shorter >= 15) expect((4 * n * 1440) / shorter).toBeGreaterThan(share);
      expect(plan.reservedPerDay).toBe(
        Math.ceil((plan.syncRequestsPerDay + plan.interactiveReservePerDay) * 1.1),
      );
      expect(plan.reservedPerDay).toBeLessThanOrEqual(10_000);
    }
  });

  it('polls a provider whose webhooks flow only as a safety net, never more often than the budget allows', () => {
    const few = planProvider(demand({ webhooks: true, connections: users(5) }), { minIntervalMinutes: 15 });
    expect(few.intervalMinutes).toBe(720);
    const many = planProvider(
      demand({ webhooks: true, interactiveRequestsPerDay: 4000, connections: users(1000) }),
      {
        minIntervalMinutes: 15,
      },
    );
    expect(many.intervalMinutes).toBe(1440);
    expect(many.interactiveReservePerDay).toBe(4000);
    expect(many.syncRequestsPerDay + many.interactiveReservePerDay).toBeLessThanOrEqual(10_000);
    expect(many.reservedPerDay).toBeLessThanOrEqual(10_000);
  });

  it('reserves at least the floor share for interactive fetches', () => {
    const plan = planProvider(demand({}), { minIntervalMinutes: 15 });
    expect(plan.interactiveReservePerDay).toBe(500);
  });

  it('reports a plan that cannot fit even once a day', () => {
    const plan = planProvider(demand({ connections: users(3000) }), { minIntervalMinutes: 15 });
    expect(plan.intervalMinutes).toBe(1440);
    expect(plan.fits).toBe(false);
  });

  it('respects the minute budget when there is no daily limit', () => {
    const plan = planProvider(
      demand({ requestsPerDay: undefined, requestsPerMinute: 10, connections: users(50) }),
      {
        minIntervalMinutes: 1,
      },
    );
    // 200 requests per round at half of 10/min: at least 40 minutes apart.
    expect(plan.intervalMinutes).toBe(45);
    expect(plan.fits).toBe(true);
  });
});

describe('planBudget', () => {
  it('spreads each connection over its interval with distinct offsets', () => {
    const plan = planBudget([demand({ connections: users(1000) })], { minIntervalMinutes: 15 });
    const interval = plan.providers[0]?.intervalMinutes as number;
    expect(plan.connections).toHaveLength(1000);
    const offsets = plan.connections.map((c) => c.offsetMinutes);
    expect(Math.min(...offsets)).toBe(0);
    expect(Math.max(...offsets)).toBeLessThan(interval);
    // Evenly spread: no minute of the interval holds more than its share, rounded up.
    const perMinute = new Map<number, number>();
    for (const o of offsets) perMinute.set(o, (perMinute.get(o) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(Math.ceil(1000 / interval));
  });
});

describe('forecastDay', () => {
  const plan = planProvider(demand({ connections: users(100) }), { minIntervalMinutes: 15 });

  it('lasts when what was used plus what the plan still needs stays inside the day', () => {
    const noon = new Date('2026-03-01T12:00:00Z');
    const f = forecastDay(plan, 3000, noon);
    expect(f.reservedRemaining).toBe(Math.ceil(plan.reservedPerDay / 2));
    expect(f.projectedEndOfDay).toBe(3000 + f.reservedRemaining);
    expect(f.willLast).toBe(true);
    expect(f.backfillRoom).toBe(10_000 - f.projectedEndOfDay);
    expect(f.exhaustedAtPace).toBeUndefined();
  });

  it('does not last when the requests used so far leave less than the plan needs', () => {
    const f = forecastDay(plan, 9000, new Date('2026-03-01T12:00:00Z'));
    expect(f.willLast).toBe(false);
    expect(f.backfillRoom).toBe(0);
    expect(f.exhaustedAtPace?.toISOString()).toBe('2026-03-01T13:20:00.000Z');
  });
});

describe('lanes', () => {
  const waiter = (
    id: string,
    lane: BudgetWaiter['lane'],
    userId: string,
    enqueuedAt: number,
    last: number | null,
  ) => ({
    id,
    lane,
    userId,
    enqueuedAt,
    userLastGrantedAt: last,
  });

  it('serves a lower lane first, whatever the arrival order', () => {
    const head = pickNext([
      waiter('b', 'backfill', 'x', 1, null),
      waiter('i', 'incremental', 'y', 5, null),
      waiter('n', 'interactive', 'z', 9, null),
    ]);
    expect(head?.id).toBe('n');
    expect(
      pickNext([waiter('b', 'backfill', 'x', 1, null), waiter('i', 'incremental', 'y', 5, null)])?.id,
    ).toBe('i');
  });

  it('round-robins backfills over users: the user served longest ago goes first', () => {
    const order = [
      waiter('a1', 'backfill', 'a', 1, 100),
      waiter('a2', 'backfill', 'a', 2, 100),
      waiter('b1', 'backfill', 'b', 3, 50),
      waiter('c1', 'backfill', 'c', 4, null),
    ].sort(compareWaiters);
    expect(order.map((w) => w.id)).toEqual(['c1', 'b1', 'a1', 'a2']);
  });

  it('keeps first come, first served within the other lanes', () => {
    const order = [
      waiter('late', 'incremental', 'a', 9, null),
      waiter('early', 'incremental', 'b', 1, 500),
    ].sort(compareWaiters);
    expect(order.map((w) => w.id)).toEqual(['early', 'late']);
  });

  it('reads Temporal priority keys as lanes', () => {
    expect([undefined, 0, 1, 2, 3, 5].map(laneOfPriorityKey)).toEqual([
      undefined,
      undefined,
      'interactive',
      'incremental',
      'backfill',
      'backfill',
    ]);
  });
});

describe('the lane an activity claims in', () => {
  it('follows the Temporal priority key first, then webhook fetches, then the purpose', () => {
    const info = (priorityKey?: number, workflowType = 'incrementalSync') => ({
      workflowType,
      priority: priorityKey === undefined ? undefined : { priorityKey },
    });
    expect(acquisitionOf({ userId: 'a', purpose: 'incremental' }, info(1))).toEqual({
      lane: 'interactive',
      userId: 'a',
    });
    expect(acquisitionOf({ userId: 'a', purpose: 'backfill' }, info(3, 'backfill'))).toEqual({
      lane: 'backfill',
      userId: 'a',
    });
    expect(acquisitionOf({ userId: 'a', purpose: 'backfill' }, info(undefined, 'backfill')).lane).toBe(
      'backfill',
    );
    expect(acquisitionOf({ userId: 'a', purpose: 'incremental' }, info(undefined, 'webhookFetch')).lane).toBe(
      'interactive',
    );
    expect(acquisitionOf({ userId: 'a', purpose: 'incremental' }, info()).lane).toBe('incremental');
    expect(acquisitionOf({ userId: 'a', purpose: 'read' }, info(undefined, 'readFetch')).lane).toBe(
      'interactive',
    );
    expect(acquisitionOf(undefined, info())).toEqual({ lane: 'incremental' });
  });

  it('uses the same numbers for Temporal priority keys and budget lanes', () => {
    expect(PRIORITY_KEYS).toEqual(LANE_KEYS);
  });

  it('reaches the budget through the async context', async () => {
    const seen = await inLane({ lane: 'backfill', userId: 'u' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentAcquisition();
    });
    expect(seen).toEqual({ lane: 'backfill', userId: 'u' });
    expect(currentAcquisition()).toEqual({ lane: 'incremental' });
  });
});
