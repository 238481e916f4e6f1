// Priority lanes inside one request budget (docs/architecture.md, "Priorities under one budget").
// Temporal's task priority only orders the backlog of tasks not yet picked up; in this system an
// activity spends most of its life *inside* the budget, waiting for a request slot. So the budget
// itself decides who gets the next slot: a lower lane first, and within the backfill lane the user
// served longest ago first, so one user's five-year backfill cannot starve another's.
//
// Pure except for the AsyncLocalStorage that carries an activity's lane down to the provider client's
// `budget.acquire()` without threading it through every client call.
import { AsyncLocalStorage } from 'node:async_hooks';

export type BudgetLane = 'interactive' | 'incremental' | 'backfill';

/** The lane's rank, equal to the Temporal priority key the same work is started with (lower first). */
export const LANE_KEYS: Readonly<Record<BudgetLane, number>> = {
  interactive: 1,
  incremental: 2,
  backfill: 3,
};

/** What a request slot is claimed for: its lane, and whose data (backfills are fair per user). */
export interface Acquisition {
  lane: BudgetLane;
  userId?: string;
}

/** Requests made outside any activity context (CLI token exchange, tests) queue as incremental work. */
export const DEFAULT_ACQUISITION: Acquisition = { lane: 'incremental' };

const context = new AsyncLocalStorage<Acquisition>();

/** Runs `fn` so that every budget acquisition inside it (across awaits) claims in `acquisition`'s lane. */
export function inLane<T>(acquisition: Acquisition, fn: () => T): T {
  return context.run(acquisition, fn);
}

/** The lane of the code running now: set by inLane (the worker's activity interceptor), or the default. */
export function currentAcquisition(): Acquisition {
  return context.getStore() ?? DEFAULT_ACQUISITION;
}

/** A Temporal priority key as a lane: 1 interactive, 2 incremental, 3..5 backfill; unset: undefined. */
export function laneOfPriorityKey(priorityKey: number | undefined): BudgetLane | undefined {
  if (priorityKey === undefined || !Number.isFinite(priorityKey) || priorityKey <= 0) return undefined;
  if (priorityKey <= LANE_KEYS.interactive) return 'interactive';
  if (priorityKey <= LANE_KEYS.incremental) return 'incremental';
  return 'backfill';
}

export function laneOfKey(key: number): BudgetLane {
  return laneOfPriorityKey(key) ?? DEFAULT_ACQUISITION.lane;
}

/** One acquisition waiting for a slot in this process's queue (providers/budget-queue.ts). */
export interface BudgetWaiter {
  id: string;
  lane: BudgetLane;
  userId: string | null;
  /** Epoch ms. */
  enqueuedAt: number;
  /** Epoch ms of this user's last backfill grant; null when never served. */
  userLastGrantedAt: number | null;
}

/**
 * The waiter the next slot goes to: the lowest lane; within the backfill lane, round-robin over users
 * (the user whose last backfill grant is oldest, never-served first); otherwise first come, first
 * served. Ties fall back to arrival, then id, so the order is deterministic.
 */
export function pickNext<W extends BudgetWaiter>(waiters: readonly W[]): W | undefined {
  let best: W | undefined;
  for (const waiter of waiters) {
    if (best === undefined || compareWaiters(waiter, best) < 0) best = waiter;
  }
  return best;
}

export function compareWaiters(a: BudgetWaiter, b: BudgetWaiter): number {
  const byLane = LANE_KEYS[a.lane] - LANE_KEYS[b.lane];
  if (byLane !== 0) return byLane;
  if (a.lane === 'backfill' && a.userId !== b.userId) {
    const servedA = a.userLastGrantedAt ?? Number.NEGATIVE_INFINITY;
    const servedB = b.userLastGrantedAt ?? Number.NEGATIVE_INFINITY;
    if (servedA !== servedB) return servedA - servedB;
  }
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt - b.enqueuedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
