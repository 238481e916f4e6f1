// A discrete-event simulation of one UTC day of one provider app budget (bench/BUDGET-DAY.md). It
// drives the project's real planner (providers/budget-planner.ts) and real lane order
// (providers/budget-lanes.ts, pickNext); the shared budget's SQL is modelled by the same arithmetic:
// one slot every 60 s / rpm (the GCRA row), the day counted with the slot claimed for the queue's
// head (one statement), and backfills admitted only below requests_per_day − reserved × (day left):
// a backfill refused for the reserve gives its slot up and holds the backfill lane for a minute.
// Simulated time: no timers, no Postgres, no HTTP; request latency and webhook delay are constants.
import { type BudgetLane, type BudgetWaiter, pickNext } from '../providers/budget-lanes.ts';

export interface SimRequest {
  lane: BudgetLane;
  userId: string;
  /** Kind fetched, for freshness (undefined: a backfill page). */
  kind?: string;
  enqueuedAt: number;
  onGrant(at: number): void;
}

export interface SimBudgetOptions {
  requestsPerMinute: number;
  requestsPerDay: number;
  /** Lanes on (the project) or first come, first served (the baseline). */
  lanes: boolean;
  /** Per day, what backfills may never spend (the plan's reserved_per_day); 0 for none. */
  reservedPerDay: number;
}

/** A tiny binary heap of timed callbacks. */
export class EventQueue {
  private heap: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  now = 0;

  at(time: number, run: () => void): void {
    const item = { at: Math.max(time, this.now), seq: this.seq++, run };
    const h = this.heap;
    h.push(item);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (less(h[parent] as typeof item, item)) break;
      [h[i], h[parent]] = [h[parent] as typeof item, h[i] as typeof item];
      i = parent;
    }
  }

  runUntil(end: number): void {
    const h = this.heap;
    while (h.length > 0 && (h[0] as { at: number }).at <= end) {
      const top = h[0] as { at: number; run: () => void };
      const last = h.pop() as (typeof h)[number];
      if (h.length > 0) {
        h[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && less(h[l] as typeof last, h[m] as typeof last)) m = l;
          if (r < h.length && less(h[r] as typeof last, h[m] as typeof last)) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m] as typeof last, h[i] as typeof last];
          i = m;
        }
      }
      this.now = top.at;
      top.run();
    }
    this.now = end;
  }
}

function less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export interface BudgetStats {
  granted: number;
  countedToday: number;
  /** Requests the provider would have refused: more than rpm in a 60 s window, or over the day. */
  rejected429: number;
  /** Incremental or interactive requests that saw a backfill granted while they waited. */
  waitedBehindBackfill: number;
  waitsMs: Record<BudgetLane, number[]>;
  /** Acquisitions refused because the whole day was spent (they would wait for tomorrow). */
  refusedForDay: Record<BudgetLane, number>;
  /** When the day counter reached the day budget (ms into the day), if it did. */
  daySpentAt?: number;
}

/** The request budget as the shared budget behaves, on simulated time. */
export class SimBudget {
  private readonly intervalMs: number;
  private tat = 0;
  private waiting: (BudgetWaiter & { request: SimRequest })[] = [];
  private readonly lastBackfillGrant = new Map<string, number>();
  private pumpAt = Number.POSITIVE_INFINITY;
  private backfillHeldUntil = 0;
  private sequence = 0;
  private readonly grantTimes: number[] = [];
  readonly stats: BudgetStats = {
    granted: 0,
    countedToday: 0,
    rejected429: 0,
    waitedBehindBackfill: 0,
    waitsMs: { interactive: [], incremental: [], backfill: [] },
    refusedForDay: { interactive: 0, incremental: 0, backfill: 0 },
  };

  constructor(
    private readonly events: EventQueue,
    private readonly options: SimBudgetOptions,
  ) {
    this.intervalMs = 60_000 / options.requestsPerMinute;
  }

  /**
   * Into the queue; a spent day refuses at once (the request would wait for tomorrow). The day is
   * counted when a slot is claimed for the head (providers/budget-queue.ts, one statement).
   */
  acquire(request: SimRequest): void {
    if (this.stats.countedToday >= this.options.requestsPerDay) {
      this.stats.refusedForDay[request.lane]++;
      return;
    }
    this.waiting.push({
      id: String(this.sequence++),
      lane: this.options.lanes ? request.lane : 'incremental',
      userId: request.userId,
      enqueuedAt: request.enqueuedAt,
      userLastGrantedAt: null,
      request,
    });
    this.schedulePump();
  }

  /** While the day's reserve holds backfills back, only the other lanes are served. */
  private eligible() {
    const held = this.events.now < this.backfillHeldUntil;
    return held ? this.waiting.filter((w) => w.request.lane !== 'backfill') : this.waiting;
  }

  // One pending pump event, at the earliest time the head can be served; an arrival that can be
  // served sooner (held backfills wait for their minute, a sync does not) schedules an earlier one.
  private schedulePump(): void {
    if (this.waiting.length === 0) return;
    const at = Math.max(this.tat, this.eligible().length > 0 ? this.events.now : this.backfillHeldUntil);
    if (at >= this.pumpAt) return;
    this.pumpAt = at;
    this.events.at(at, () => {
      if (this.pumpAt !== at) return; // superseded by an earlier pump
      this.pumpAt = Number.POSITIVE_INFINITY;
      this.grantNext();
      this.schedulePump();
    });
  }

  private grantNext(): void {
    const now = this.events.now;
    for (const w of this.waiting) w.userLastGrantedAt = this.lastBackfillGrant.get(w.userId ?? '') ?? null;
    const head = pickNext(this.eligible());
    if (!head) return;
    const { request } = head;
    // The slot is claimed (the GCRA row moves on) in the same statement that counts the day.
    this.tat = Math.max(this.tat, now) + this.intervalMs;
    const leftShare = (86_400_000 - (now % 86_400_000)) / 86_400_000;
    const limit =
      this.options.requestsPerDay -
      (request.lane === 'backfill'
        ? Math.ceil(this.options.reservedPerDay * Math.max(1 / 24, leftShare))
        : 0);
    if (this.stats.countedToday >= limit) {
      if (request.lane === 'backfill' && this.stats.countedToday < this.options.requestsPerDay) {
        // Held back for the reserve: this slot is given up, the backfills look again in a minute.
        this.backfillHeldUntil = now + 60_000;
        return;
      }
      // The day is spent: everything waiting waits for tomorrow, past the simulated day.
      for (const w of this.waiting.splice(0)) this.stats.refusedForDay[w.request.lane]++;
      return;
    }
    this.stats.countedToday++;
    if (this.stats.countedToday === this.options.requestsPerDay) this.stats.daySpentAt = now;
    this.waiting.splice(this.waiting.indexOf(head), 1);
    if (request.lane === 'backfill') {
      this.lastBackfillGrant.set(request.userId, now);
      this.markWaitingBehindBackfill();
    }
    this.stats.granted++;
    this.stats.waitsMs[request.lane].push(now - request.enqueuedAt);
    this.checkProviderWindow(now);
    request.onGrant(now);
  }

  private readonly behind = new WeakSet<SimRequest>();

  private markWaitingBehindBackfill(): void {
    for (const w of this.waiting) {
      if (w.request.lane !== 'backfill' && !this.behind.has(w.request)) {
        this.behind.add(w.request);
        this.stats.waitedBehindBackfill++;
      }
    }
  }

  // The provider's view: more than rpm requests in any 60 s window would be a 429.
  private checkProviderWindow(now: number): void {
    this.grantTimes.push(now);
    let lo = this.grantTimes.length - 1;
    while (lo > 0 && now - (this.grantTimes[lo - 1] as number) < 60_000) lo--;
    if (this.grantTimes.length - lo > this.options.requestsPerMinute) this.stats.rejected429++;
    if (this.stats.granted > this.options.requestsPerDay) this.stats.rejected429++;
  }
}
