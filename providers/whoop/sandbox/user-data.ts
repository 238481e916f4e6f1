// One sandbox user's records: generated lazily over [now - historyDays, now], then changed only by the
// control surface (extend to an advanced clock, rescore, delete), the way WHOOP's data changes under a
// client between syncs.

import { Rng } from '../../sandbox-kit/prng.ts';
import { buildDay } from './build-day.ts';
import { DAY_MS, type DayPlan, dayPlan, epochDay, sleepStart } from './day-plan.ts';
import { KindIndex } from './kind-index.ts';
import { type UserParams, userParams } from './profile.ts';
import { finalize } from './raw-record.ts';
import { WHOOP_KINDS, type WhoopKind } from './types.ts';

export function emptyCounts(): Record<WhoopKind, number> {
  return { cycle: 0, sleep: 0, recovery: 0, workout: 0 };
}

/** A strictly later updated_at: the clock's now, or a second past the old value if the clock is frozen. */
function movedUpdatedAt(previous: unknown, nowMs: number): string {
  const before = typeof previous === 'string' ? Date.parse(previous) : 0;
  return new Date(Math.max(nowMs, before + 1000)).toISOString();
}

export class UserData {
  readonly params: UserParams;
  readonly kinds: Record<WhoopKind, KindIndex> = {
    cycle: new KindIndex(),
    sleep: new KindIndex(),
    recovery: new KindIndex(),
    workout: new KindIndex(),
  };
  /** Cycle id → id of the night's (non-nap) sleep, for GET /v2/cycle/{id}/sleep. */
  readonly mainSleepByCycle = new Map<string, string>();
  private readonly plans = new Map<number, DayPlan>();
  /** The clock reading the data was last generated or extended to. */
  generatedAtMs: number;
  private lastDay: number;
  private deletions = 0;

  constructor(seed: string, key: string, nowMs: number, historyDays: number) {
    this.params = userParams(seed, key);
    const firstDay = epochDay(nowMs - historyDays * DAY_MS);
    this.generatedAtMs = nowMs;
    this.lastDay = this.lastDayAt(nowMs);
    this.merge(firstDay, this.lastDay, nowMs);
  }

  /** Adds what happened between the last generation and `nowMs`; closes the cycle that was open. */
  extendTo(nowMs: number): Record<WhoopKind, number> {
    const lastDay = this.lastDayAt(nowMs);
    if (nowMs <= this.generatedAtMs || lastDay < this.lastDay) return emptyCounts();
    this.generatedAtMs = nowMs;
    // The previous last day may have gained records (its workouts, tomorrow's end); older days are complete.
    const added = this.merge(this.lastDay - 1, lastDay, nowMs);
    this.lastDay = lastDay;
    return added;
  }

  rescore(nowMs: number): number {
    let rescored = 0;
    for (const kind of WHOOP_KINDS) {
      for (const record of this.kinds[kind].list) {
        if (record.deleted || !record.pendingScore) continue;
        record.body.score_state = 'SCORED';
        record.body.score = record.pendingScore;
        record.body.updated_at = movedUpdatedAt(record.body.updated_at, nowMs);
        record.pendingScore = undefined;
        rescored++;
      }
    }
    return rescored;
  }

  /** Deletes up to `count` live records that started within the last `withinDays`; deterministic. */
  deleteRecords(kind: WhoopKind, count: number, withinDays: number, nowMs: number): string[] {
    const since = nowMs - withinDays * DAY_MS;
    const candidates = this.kinds[kind].list.filter(
      (r) => !r.deleted && r.startMs >= since && r.startMs < nowMs,
    );
    const rng = new Rng(`${this.params.prefix}|delete|${kind}|${this.deletions++}`);
    const ids: string[] = [];
    while (ids.length < count && candidates.length > 0) {
      const [record] = candidates.splice(rng.int(0, candidates.length - 1), 1);
      if (!record) break;
      record.deleted = true;
      ids.push(record.id);
    }
    return ids;
  }

  private plan(day: number): DayPlan {
    let plan = this.plans.get(day);
    if (!plan) {
      plan = dayPlan(this.params, day);
      this.plans.set(day, plan);
    }
    return plan;
  }

  /** The latest day whose cycle has started by `nowMs`. */
  private lastDayAt(nowMs: number): number {
    let day = epochDay(nowMs, 14 * 60) + 1;
    while (sleepStart(this.plan(day)) > nowMs) day--;
    return day;
  }

  private merge(fromDay: number, toDay: number, nowMs: number): Record<WhoopKind, number> {
    const added = emptyCounts();
    for (let day = fromDay; day <= toDay; day++) {
      for (const raw of buildDay(this.params, this.plan(day - 1), this.plan(day), this.plan(day + 1))) {
        const done = finalize(raw, nowMs);
        if (!done) continue;
        const index = this.kinds[raw.kind];
        const existing = index.byId.get(raw.id);
        if (!existing) {
          index.add({
            kind: raw.kind,
            id: raw.id,
            tieKey: raw.tieKey,
            startMs: raw.startMs,
            body: done.body,
            pendingScore: done.pendingScore,
            deleted: false,
          });
          if (raw.kind === 'sleep' && done.body.nap === false) {
            this.mainSleepByCycle.set(String(done.body.cycle_id), raw.id);
          }
          added[raw.kind]++;
        } else if (raw.kind === 'cycle' && existing.body.end === undefined && done.body.end !== undefined) {
          existing.body.end = done.body.end;
          existing.body.updated_at = movedUpdatedAt(existing.body.updated_at, nowMs);
        }
      }
    }
    return added;
  }
}
