// One request budget per provider app (DESIGN.md decision 4). A provider counts requests per app,
// across every user and every worker, so the budget that spaces requests must be shared too.
//
// Both budgets space requests evenly instead of bursting up to a window's limit: even spacing cannot
// overrun a fixed window, a sliding window or a token bucket of the provider, whichever it uses, as
// long as the requests leave when their slots say. They leave late, by 0 <= d <= D (timer lateness,
// event loop, the network), and at exactly 60 s / rpm apart any lateness is too much: rpm+1 slots
// span exactly 60 s, so a first request that left late and the rpm-th after it that left on time
// fall into one 60 s window (a window anchored at that first request, as some providers' are, sees rpm+1).
// So slots are T' = T·(1 + 1/rpm) apart (T = 60 s / rpm, slotIntervalMs): rpm+1 slots span 60 s + T,
// and the provider sees at most rpm requests in any 60 s window while D < T (600 ms at 100/min,
// 3 s at 20/min). It costs 1/(rpm+1) of the pace (1 % at 100/min). The provider's headers (observe)
// and 429s (penalize) cover lateness beyond that.
import { setTimeout as sleep } from 'node:timers/promises';
import pThrottle from 'p-throttle';
import type postgres from 'postgres';
import { type Acquisition, currentAcquisition } from './budget-lanes.ts';
import { createBudgetQueue } from './budget-queue.ts';

export interface RateLimitObservation {
  /** Requests left in the provider's current window. */
  remaining?: number;
  /** Seconds until that window resets. */
  resetSeconds?: number;
}

export interface RateBudget {
  /**
   * Resolves when the caller may send one request; returns how long it waited (ms). The shared budget
   * serves lanes in order (providers/budget-lanes.ts): `acquisition` when given, otherwise the lane
   * of the activity running now (currentAcquisition). The local budget is first come, first served.
   */
  acquire(acquisition?: Acquisition): Promise<number>;
  /** Feeds the provider's rate-limit headers back, so the budget slows down before a 429. */
  observe(headers: RateLimitObservation): void;
  /** Pauses every caller of this budget for at least `ms` (the provider answered 429). */
  penalize(ms: number): void;
}

export interface BudgetLogger {
  warn(obj: object, msg?: string): void;
}

/**
 * How long to hold back the next request after the provider reported its remaining budget:
 * nothing while the remainder lasts at our own pace, otherwise the remainder spread evenly until the
 * reset (the whole reset when nothing is left). Day windows only start to matter once fewer than a
 * minute's worth of requests remain, so a large daily remainder never slows the minute pace.
 */
export function observationDelayMs(observation: RateLimitObservation, requestsPerMinute: number): number {
  const { remaining, resetSeconds } = observation;
  if (remaining === undefined || resetSeconds === undefined) return 0;
  if (!Number.isFinite(remaining) || !Number.isFinite(resetSeconds) || resetSeconds <= 0) return 0;
  const resetMs = resetSeconds * 1000;
  if (remaining <= 0) return resetMs;
  if (remaining >= requestsPerMinute) return 0;
  const spreadMs = resetMs / remaining;
  return spreadMs > slotIntervalMs(requestsPerMinute) ? spreadMs : 0;
}

/** In-process only: right for one worker, and the building block of the shared budget's local queue. */
export function createLocalBudget(requestsPerMinute: number): RateBudget {
  const intervalMs = slotIntervalMs(requestsPerMinute);
  const spaced = pThrottle({ limit: 1, interval: intervalMs, strict: true })(() => {});
  const serial = serialQueue();
  let pausedUntil = 0;
  return {
    async acquire() {
      const started = Date.now();
      // The pause is waited before the throttle so the first request after a pause starts a fresh
      // spacing: waiting after it would release every queued caller at once when the pause ends.
      await serial(async () => {
        await sleepUntil(() => pausedUntil);
        await spaced();
      });
      return Date.now() - started;
    },
    observe(observation) {
      const delay = observationDelayMs(observation, requestsPerMinute);
      if (delay > 0) pausedUntil = Math.max(pausedUntil, Date.now() + delay);
    },
    penalize(ms) {
      if (ms > 0) pausedUntil = Math.max(pausedUntil, Date.now() + ms);
    },
  };
}

/** The shared budget also says how many acquisitions wait in this process (tests, status). */
export interface SharedBudget extends RateBudget {
  waiting(): number;
}

export interface SharedBudgetOptions {
  /**
   * How far ahead of its slot a caller may claim it. Bounds how many claimed slots still go out after
   * a penalty (about horizon / T); large enough to absorb a database round trip.
   * Default max(2·T, 250 ms).
   */
  horizonMs?: number;
  /**
   * The provider's daily allowance for the app (from configuration, e.g. <PROVIDER>_REQUESTS_PER_DAY):
   * counted per UTC day across every worker; once spent, callers wait for the next UTC day rather
   * than learning it from 429s. Unset: no daily count (headers and 429s still slow us down).
   */
  requestsPerDay?: number;
  logger?: BudgetLogger;
}

/**
 * A GCRA ("theoretical arrival time") row per provider in Postgres, shared by every process. Each
 * claim is one atomic UPDATE … RETURNING computed entirely on the database clock
 * (slot = greatest(tat, now), tat = slot + T), and the caller sleeps the returned difference on its own
 * clock, so clock skew between hosts does not matter and no lock is held while waiting. A claim only
 * succeeds within `horizonMs` of its slot; otherwise the caller sleeps until then and claims again, so
 * a penalty reaches nearly every pending request instead of only those not yet queued. Which of this
 * process's waiting acquisitions gets the next slot is decided in memory by lane and per-user
 * round-robin; across processes a lower lane waiting elsewhere holds claims back
 * (providers/budget-queue.ts). One statement per slot claims it and counts the day.
 */
export function createSharedBudget(
  sql: postgres.Sql,
  provider: string,
  requestsPerMinute: number,
  options: SharedBudgetOptions = {},
): SharedBudget {
  const intervalMs = slotIntervalMs(requestsPerMinute);
  const horizonMs = options.horizonMs ?? Math.max(2 * intervalMs, 250);
  let ready: Promise<void> | undefined;
  let pendingWrite: Promise<void> = Promise.resolve();
  // Penalties seen by this process apply here at once, before the database write lands.
  let pausedUntil = 0;
  let deferredUntil = 0;

  const ensureRow = () => {
    ready ??= sql`insert into rate_budget (provider, tat) values (${provider}, clock_timestamp())
                  on conflict (provider) do nothing`.then(
      () => {},
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  };

  const { requestsPerDay } = options;
  if (requestsPerDay !== undefined && !(Number.isInteger(requestsPerDay) && requestsPerDay > 0)) {
    throw new RangeError(`requestsPerDay must be a positive integer, got ${requestsPerDay}`);
  }
  // Once the day's allowance is spent, every caller waits for the next UTC day (not unref'd timers
  // alone: a process shutting down does not wait for tomorrow, see sleepUntil below).
  let dayPausedUntil = 0;

  const queue = createBudgetQueue(sql, {
    provider,
    intervalMs,
    horizonMs,
    ...(requestsPerDay === undefined ? {} : { requestsPerDay }),
    beforeClaim: async () => {
      await sleepUntil(() => dayPausedUntil, false);
      await sleepUntil(() => pausedUntil);
      await pendingWrite;
    },
    ensureRow: () => {
      ready = undefined;
      return ensureRow();
    },
    onDaySpent: (waitMs) => {
      dayPausedUntil = Math.max(dayPausedUntil, Date.now() + waitMs);
      options.logger?.warn(
        { provider, requestsPerDay, waitMs: Math.round(waitMs) },
        'rate budget: the daily request budget is spent; waiting for the next UTC day',
      );
    },
  });

  // Resolves with how long to wait for the claimed slot (ms).
  const claim = async (acquisition: Acquisition): Promise<number> => {
    await ensureRow();
    return queue.claim(acquisition);
  };

  const defer = (ms: number, local: boolean) => {
    const until = Date.now() + ms;
    if (local) pausedUntil = Math.max(pausedUntil, until);
    // A later deadline already on its way makes this write pointless; observe() calls this per response.
    if (until <= deferredUntil) return;
    deferredUntil = until;
    const write = sql`update rate_budget
                         set tat = greatest(tat, clock_timestamp() + ${ms}::float8 * interval '1 millisecond')
                       where provider = ${provider}`.then(
      () => {},
      (error: unknown) => {
        deferredUntil = 0;
        options.logger?.warn({ provider, err: error }, 'rate budget: could not record a pause');
      },
    );
    pendingWrite = pendingWrite.then(() => write);
  };

  return {
    async acquire(acquisition = currentAcquisition()) {
      const started = Date.now();
      for (;;) {
        await sleepUntil(() => pausedUntil);
        const waitMs = await claim(acquisition);
        await sleep(waitMs);
        // A 429 seen by this process while we waited for our slot: give the slot up and queue again.
        if (pausedUntil <= Date.now()) break;
      }
      return Date.now() - started;
    },
    observe(observation) {
      const delay = observationDelayMs(observation, requestsPerMinute);
      if (delay > 0) defer(delay, false);
    },
    penalize(ms) {
      if (ms > 0) defer(ms, true);
    },
    waiting: () => queue.waiting(),
  };
}

/** The spacing of slots: 60 s / rpm plus 1/rpm of it as room for lateness (see the top of this file). */
export function slotIntervalMs(requestsPerMinute: number): number {
  if (!Number.isFinite(requestsPerMinute) || requestsPerMinute <= 0) {
    throw new RangeError(`requestsPerMinute must be a positive number, got ${requestsPerMinute}`);
  }
  const perRequest = 60_000 / requestsPerMinute;
  return perRequest + perRequest / requestsPerMinute;
}

/** `ref: false` for waits as long as a day: they must not keep a process that is shutting down alive. */
async function sleepUntil(deadline: () => number, ref = true): Promise<void> {
  for (let left = deadline() - Date.now(); left > 0; left = deadline() - Date.now()) {
    await sleep(left, undefined, { ref });
  }
}

/** Runs the given tasks one at a time, in call order. */
function serialQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}
