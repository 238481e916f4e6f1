// The request budget: even spacing in process, and one budget across processes through Postgres.
// The shared test runs two budgets on two separate connection pools (two workers) against one
// database, at 1200/min so a few seconds show the spacing; the 60 s property is checked at that scale.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inLane } from '../providers/budget-lanes.ts';
import {
  createLocalBudget,
  createSharedBudget,
  observationDelayMs,
  type RateBudget,
  slotIntervalMs,
} from '../providers/rate-budget.ts';
import { RequestBudget } from '../providers/whoop/sandbox/rate-limit.ts';
import { connect, type Sql } from '../store/db.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

/** Calls acquire `perCaller` times from each of `callers` concurrent loops; returns grant times (ms). */
async function drive(budget: RateBudget, callers: number, perCaller: number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = 0; i < perCaller; i++) {
        await budget.acquire();
        times.push(performance.now());
      }
    }),
  );
  return times;
}

/** The most grants inside any window of `windowMs` (half-open). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

describe('local budget', () => {
  it('spaces concurrent callers evenly at 60 s / rpm', async () => {
    const budget = createLocalBudget(1200); // 50 ms
    const started = performance.now();
    const times = await drive(budget, 5, 8);
    const elapsed = performance.now() - started;
    expect(times).toHaveLength(40);
    expect(elapsed).toBeGreaterThanOrEqual(39 * 50 - 10);
    // 1200/min is 20 per second: any second holds at most 20 (+1 for timer jitter at the edges).
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(21);
    expect(maxInWindow(times, 250)).toBeLessThanOrEqual(6);
  });

  it('reports how long each caller waited', async () => {
    const budget = createLocalBudget(600); // 100 ms
    const waits = await Promise.all([budget.acquire(), budget.acquire(), budget.acquire()]);
    expect(waits[0]).toBeLessThan(30);
    expect(waits[2]).toBeGreaterThanOrEqual(190);
  });

  it('penalize pauses every caller, and resumes with spacing rather than a burst', async () => {
    const budget = createLocalBudget(1200);
    await budget.acquire();
    budget.penalize(400);
    const started = performance.now();
    const times = await drive(budget, 4, 1);
    expect(Math.min(...times) - started).toBeGreaterThanOrEqual(390);
    expect(maxInWindow(times, 40)).toBe(1);
  });

  it('observe slows down when the provider reports the budget running out', async () => {
    const budget = createLocalBudget(1200);
    await budget.acquire();
    budget.observe({ remaining: 2, resetSeconds: 0.6 });
    const started = performance.now();
    await budget.acquire();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('observationDelayMs', () => {
  it('holds back only when the remainder would not last at our pace', () => {
    expect(observationDelayMs({}, 100)).toBe(0);
    expect(observationDelayMs({ remaining: 50, resetSeconds: 30 }, 100)).toBe(0); // 600 ms each: on pace
    expect(observationDelayMs({ remaining: 5, resetSeconds: 30 }, 100)).toBe(6000);
    expect(observationDelayMs({ remaining: 0, resetSeconds: 12 }, 100)).toBe(12_000);
    // A large daily remainder never slows the minute pace…
    expect(observationDelayMs({ remaining: 9000, resetSeconds: 80_000 }, 100)).toBe(0);
    // …a nearly spent one spreads what is left until the reset.
    expect(observationDelayMs({ remaining: 40, resetSeconds: 3600 }, 100)).toBe(90_000);
  });
});

describe('slot spacing leaves room for lateness', () => {
  /** 429s from the WHOOP sandbox's minute window (anchored at a request) for slots `intervalMs` apart,
   * each request leaving late by a pseudo-random 0 ≤ d < lateness ms. */
  function rejectedBySandbox(rpm: number, intervalMs: number, latenessMs: number): number {
    let now = 0;
    const budget = new RequestBudget(rpm, 1_000_000, () => now);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const leaves = Array.from({ length: 20 * rpm }, (_, k) => k * intervalMs + random() * latenessMs);
    let rejected = 0;
    for (const at of leaves.sort((a, b) => a - b)) {
      now = at;
      if (!budget.take().allowed) rejected++;
    }
    return rejected;
  }

  it('one slot of lateness never overruns a window anchored at a late request', () => {
    expect(slotIntervalMs(20)).toBe(3150);
    expect(slotIntervalMs(100)).toBeCloseTo(606, 6);
    for (const rpm of [20, 100, 150]) {
      const lateness = 60_000 / rpm - 1; // just under one slot of 60 s / rpm
      expect(rejectedBySandbox(rpm, slotIntervalMs(rpm), lateness)).toBe(0);
      // Spaced at exactly 60 s / rpm, the same lateness draws 429s.
      expect(rejectedBySandbox(rpm, 60_000 / rpm, lateness)).toBeGreaterThan(0);
    }
  });

  it('rejects a pace that is not a positive number', () => {
    expect(() => slotIntervalMs(0)).toThrow(RangeError);
    expect(() => slotIntervalMs(Number.NaN)).toThrow(RangeError);
  });
});

describe('shared budget (Postgres)', () => {
  let db: TestDatabase;
  let workerA: Sql;
  let workerB: Sql;

  beforeAll(async () => {
    db = await createTestDatabase();
    workerA = connect(db.url, { max: 2, applicationName: 'worker-a' });
    workerB = connect(db.url, { max: 2, applicationName: 'worker-b' });
  });

  /** How far the provider's shared schedule (its row's tat) lies ahead of the database clock (ms). */
  async function aheadMs(provider: string): Promise<number> {
    const [row] = await db.sql<{ ahead: number }[]>`
      select (extract(epoch from (tat - clock_timestamp())) * 1000)::float8 as ahead
      from rate_budget where provider = ${provider}`;
    return row?.ahead ?? Number.NEGATIVE_INFINITY;
  }

  /** Waits (polling, not a fixed sleep) until the row is pushed at least `ms` ahead: more than the
   * few slots of normal spacing, so a pause has landed. */
  async function untilAhead(provider: string, ms: number): Promise<number> {
    return vi.waitFor(
      async () => {
        const ahead = await aheadMs(provider);
        expect(ahead).toBeGreaterThanOrEqual(ms);
        return ahead;
      },
      { timeout: 5000, interval: 5 },
    );
  }

  afterAll(async () => {
    await workerA?.end();
    await workerB?.end();
    await db?.close();
  });

  it('two workers sharing one provider never exceed its rate together', async () => {
    const rpm = 1200; // one request per 50 ms across both workers
    const a = createSharedBudget(workerA, 'whoop', rpm);
    const b = createSharedBudget(workerB, 'whoop', rpm);
    const started = performance.now();
    const [timesA, timesB] = await Promise.all([drive(a, 4, 10), drive(b, 4, 10)]);
    const elapsed = performance.now() - started;
    const all = [...timesA, ...timesB];

    expect(all).toHaveLength(80);
    // The workers share the rate as they go: neither waits for the other to finish.
    const firstHalfEnd = [...all].sort((x, y) => x - y)[39] as number;
    expect(timesA.filter((t) => t <= firstHalfEnd).length).toBeGreaterThanOrEqual(10);
    expect(timesB.filter((t) => t <= firstHalfEnd).length).toBeGreaterThanOrEqual(10);
    // 80 grants 50 ms apart take at least 79 × 50 ms, whoever asked.
    expect(elapsed).toBeGreaterThanOrEqual(79 * 50 - 20);
    // rpm in any 60 s window, scaled down: at most 20 in any second (+1 for timer jitter).
    expect(maxInWindow(all, 1000)).toBeLessThanOrEqual(21);
    expect(maxInWindow(all, 500)).toBeLessThanOrEqual(11);
    // Not just capped but used: the pair runs close to the full rate.
    expect(elapsed).toBeLessThan(79 * 50 * 1.5);
  });

  it('claims each slot, day count included, in one statement: no round trips per waiter', async () => {
    // The project's pool settings, plus postgres.js's debug hook counting every statement sent.
    const statements: string[] = [];
    const counted = postgres(db.url, {
      max: 4,
      onnotice: () => {},
      debug: (_connection, query) => {
        statements.push(query);
      },
    });
    try {
      const budget = createSharedBudget(counted, 'round-trips', 6000, { requestsPerDay: 100_000 });
      const acquisitions = 60;
      // Twelve concurrent callers in two lanes and six users, as a worker's activities ask.
      await Promise.all(
        Array.from({ length: 12 }, (_, caller) =>
          inLane(
            { lane: caller % 4 === 3 ? 'incremental' : 'backfill', userId: `u${caller % 6}` },
            async () => {
              for (let i = 0; i < acquisitions / 12; i++) await budget.acquire();
            },
          ),
        ),
      );
      const claims = statements.filter((q) => q.includes('update rate_budget b')).length;
      // One claim per slot; a claim finds its slot beyond the horizon only when the pump runs early.
      expect(claims).toBeGreaterThanOrEqual(acquisitions);
      expect(claims).toBeLessThan(acquisitions * 1.2);
      // Besides the claims: creating the row, pruning old days, and a lane advertisement when the
      // best waiting lane changes (or every 2 s). The per-waiter queue took 4–5 statements a slot.
      expect(statements.length - claims).toBeLessThanOrEqual(2 + acquisitions / 4);
      const [day] = await db.sql<{ requests: number }[]>`
        select requests from rate_budget_daily where provider = 'round-trips'`;
      expect(day?.requests).toBe(acquisitions);
    } finally {
      await counted.end();
    }
  });

  it('the daily budget from configuration is counted across workers and holds requests once spent', async () => {
    const warnings: object[] = [];
    const logger = { warn: (obj: object) => warnings.push(obj) };
    const a = createSharedBudget(workerA, 'daily', 6000, { requestsPerDay: 5, logger });
    const b = createSharedBudget(workerB, 'daily', 6000, { requestsPerDay: 5, logger });
    await Promise.all([drive(a, 2, 2), drive(b, 1, 1)]);
    const [row] = await db.sql<{ requests: number; today: boolean }[]>`
      select requests, day = (now() at time zone 'UTC')::date as today
      from rate_budget_daily where provider = 'daily'`;
    expect(row).toEqual({ requests: 5, today: true });
    expect(warnings).toEqual([]);
    // The sixth request of the day, from either worker, waits for the next UTC day.
    let granted = false;
    void b.acquire().then(() => {
      granted = true;
    });
    await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 5_000, interval: 20 });
    expect(warnings[0]).toMatchObject({ provider: 'daily', requestsPerDay: 5 });
    const [next] = await db.sql<{ ms: number }[]>`
      select (extract(epoch from (((now() at time zone 'UTC')::date + 1)::timestamp at time zone 'UTC') - now())
        * 1000)::float8 as ms`;
    const waitMs = (warnings[0] as { waitMs: number }).waitMs;
    expect(Math.abs(waitMs - (next?.ms ?? 0))).toBeLessThan(60_000);
    expect(granted).toBe(false);
    const [after] = await db.sql<{ requests: number }[]>`
      select requests from rate_budget_daily where provider = 'daily'`;
    expect(after?.requests).toBe(5);
    // Another provider's day is its own.
    await createSharedBudget(workerA, 'daily-other', 6000, { requestsPerDay: 1 }).acquire();
  });

  it('budgets of different providers do not share a row', async () => {
    const a = createSharedBudget(workerA, 'oura', 60); // 1 s spacing
    const b = createSharedBudget(workerB, 'junction', 60);
    await Promise.all([a.acquire(), b.acquire()]);
    const started = performance.now();
    await Promise.all([
      createSharedBudget(workerA, 'oura-2', 60).acquire(),
      createSharedBudget(workerB, 'junction-2', 60).acquire(),
    ]);
    expect(performance.now() - started).toBeLessThan(500);
    const rows = await db.sql<{ provider: string }[]>`select provider from rate_budget order by provider`;
    expect(rows.map((r) => r.provider)).toEqual(expect.arrayContaining(['oura', 'junction', 'whoop']));
  });

  it('a 429 seen by one worker pauses the other', async () => {
    const rpm = 1200;
    const a = createSharedBudget(workerA, 'whoop-429', rpm);
    const b = createSharedBudget(workerB, 'whoop-429', rpm);
    await Promise.all([a.acquire(), b.acquire()]);
    a.penalize(800);
    // The worker that saw the 429 honours it at once, without waiting for the database…
    const startedA = performance.now();
    const waitedA = a.acquire().then(() => performance.now() - startedA);
    // …the other one as soon as the pause is written (asynchronously: wait until it has landed).
    const ahead = await untilAhead('whoop-429', 200);
    const startedB = performance.now();
    await b.acquire();
    // B waits out what was left of the pause when it asked (less the poll's round trip).
    expect(performance.now() - startedB).toBeGreaterThanOrEqual(ahead - 50);
    expect(await waitedA).toBeGreaterThanOrEqual(790);
  });

  it('a 429 makes callers already holding a slot in the same process give it up', async () => {
    const a = createSharedBudget(workerA, 'whoop-held', 1200, { horizonMs: 1000 });
    await a.acquire();
    // Other workers have claimed the next 500 ms, so the first of these callers claims a slot that far
    // ahead and holds it while it waits; the pause lands once it has (the shared row moved on), which
    // the test waits for rather than guessing a delay.
    const [before] = await db.sql<{ tat: Date }[]>`
      update rate_budget set tat = clock_timestamp() + interval '500 milliseconds'
      where provider = 'whoop-held' returning tat`;
    const pending = drive(a, 6, 1);
    await vi.waitFor(
      async () => {
        const [now] = await db.sql<
          { tat: Date }[]
        >`select tat from rate_budget where provider = 'whoop-held'`;
        expect(now?.tat.getTime()).toBeGreaterThan(before?.tat.getTime() ?? 0);
      },
      { timeout: 5000, interval: 2 },
    );
    const pausedAt = performance.now();
    a.penalize(600);
    const times = await pending;
    for (const t of times) expect(t - pausedAt).toBeGreaterThanOrEqual(590);
    expect(maxInWindow(times, 40)).toBe(1);
  });

  it('observe pushes the shared schedule out when the provider says the budget is nearly spent', async () => {
    const a = createSharedBudget(workerA, 'whoop-observe', 1200);
    const b = createSharedBudget(workerB, 'whoop-observe', 1200);
    await a.acquire();
    a.observe({ remaining: 1, resetSeconds: 0.5 });
    // The other worker sees the push once it is written: wait for that, not for a guessed delay.
    const ahead = await untilAhead('whoop-observe', 200);
    const started = performance.now();
    await b.acquire();
    expect(performance.now() - started).toBeGreaterThanOrEqual(ahead - 50);
  });
});
