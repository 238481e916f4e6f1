// The skeleton of one day of a user's life (timezone, bedtime, time in bed, nap, workouts), drawn from
// its own PRNG stream keyed by the epoch day. A day's details may look one day back (sleep debt, last
// night's bedtime) and one day ahead (next bedtime bounds the cycle) without any carried state, so any
// slice of history can be generated, or extended later, and come out identical.

import { Rng } from '../../sandbox-kit/prng.ts';
import { sessionLoad } from './physiology.ts';
import { clamp, round, SPORTS, type UserParams } from './profile.ts';

export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export interface WorkoutPlan {
  sport: number;
  /** Local minutes after midnight of the day. */
  startMin: number;
  minutes: number;
  /** Scales the sport's zone profile towards harder or easier. */
  intensity: number;
}

export interface DayPlan {
  day: number;
  /** The user's UTC offset this day in minutes (travel moves it). */
  offsetMin: number;
  /** Bedtime of the night that opens this day's cycle: local minutes after midnight of the day before. */
  bedtimeMin: number;
  inBedMs: number;
  sick: boolean;
  nap?: { startMin: number; minutes: number };
  workouts: WorkoutPlan[];
  /** Rough training load, for the next night's sleep need. */
  load: number;
}

/** Trips of 2–7 days within ±3h of home: enough to exercise per-record offsets without day-long jet lag. */
function offsetFor(p: UserParams, day: number): number {
  const block = Math.floor(day / 28);
  const rng = new Rng(`${p.prefix}|trip|${block}`);
  if (!rng.chance(0.3)) return p.homeOffsetMin;
  const from = block * 28 + rng.int(2, 20);
  const length = rng.int(2, 7);
  const delta = rng.pick([-180, -120, -60, 60, 120, 180]);
  return day >= from && day < from + length ? clamp(p.homeOffsetMin + delta, -720, 840) : p.homeOffsetMin;
}

/** 0 = Sunday (epoch day 0 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function dayPlan(p: UserParams, day: number): DayPlan {
  const rng = new Rng(`${p.prefix}|core|${day}`);
  const wd = weekday(day);
  const weekend = wd === 0 || wd === 6;
  // Fractional minutes, so sleeps and cycles start at arbitrary seconds like real ones.
  const bedtimeMin = round(
    clamp(p.bedtimeMin + rng.normal(0, 25) + (weekend ? 40 : 0), 20 * 60 + 30, 27 * 60),
    5,
  );
  const sick = rng.chance(0.015);
  const inBedHours =
    p.sleepNeedMs / 3_600_000 + 0.1 + rng.normal(0, 0.65) + (weekend ? 0.6 : 0) + (sick ? 0.7 : 0);
  const inBedMs = Math.round(clamp(inBedHours, 5.5, 9.5) * HOUR_MS + rng.int(0, 59_999));
  const nap = rng.chance(sick ? 0.3 : 0.07)
    ? { startMin: rng.int(13 * 60, 15 * 60 + 30), minutes: rng.int(20, 75) }
    : undefined;

  const workouts: WorkoutPlan[] = [];
  if (!sick && rng.chance(Math.min(0.85, p.workoutRate))) {
    const count = rng.chance(Math.max(0.04, (p.workoutRate - 0.7) * 0.5)) ? 2 : 1;
    const morningFirst = rng.chance(0.45);
    for (let i = 0; i < count; i++) {
      const sport = p.sports[Math.floor(rng.next() ** 2 * p.sports.length)] ?? 0;
      const spec = SPORTS[sport];
      const morning = i === 0 ? morningFirst : !morningFirst;
      workouts.push({
        sport,
        startMin: morning ? rng.int(6 * 60, 8 * 60 + 30) : rng.int(17 * 60, 19 * 60 + 30),
        minutes: rng.int(spec?.minutes[0] ?? 30, spec?.minutes[1] ?? 60),
        intensity: rng.range(0.8, 1.25),
      });
    }
    workouts.sort((a, b) => a.startMin - b.startMin);
  }
  const load = workouts.reduce(
    (sum, w) => sum + sessionLoad(SPORTS[w.sport]?.zones ?? [], w.minutes) * w.intensity,
    0,
  );
  return { day, offsetMin: offsetFor(p, day), bedtimeMin, inBedMs, sick, nap, workouts, load };
}

/** UTC instant of local midnight of `day` at `offsetMin`. */
export function localMidnight(day: number, offsetMin: number): number {
  return day * DAY_MS - offsetMin * MINUTE_MS;
}

/** When the night that opens cycle `plan.day` begins (= the cycle's start). */
export function sleepStart(plan: DayPlan): number {
  return localMidnight(plan.day, plan.offsetMin) - DAY_MS + Math.round(plan.bedtimeMin * MINUTE_MS);
}

/** The epoch day whose local date contains `ms` for a user at `offsetMin`. */
export function epochDay(ms: number, offsetMin = 0): number {
  return Math.floor((ms + offsetMin * MINUTE_MS) / DAY_MS);
}
