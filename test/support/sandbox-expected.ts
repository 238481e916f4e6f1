// What a panel should show, computed straight from the records the WHOOP sandbox serves (its
// control surface, not the database), so that panel SQL and views are checked against an
// independent reading of the same data.
import type { SandboxControl } from '../../providers/whoop/sandbox/types.ts';

const HOUR_MS = 3_600_000;

interface Timed {
  start: string;
  end: string | null;
  timezone_offset: string;
}

/** The local calendar date of an instant in a WHOOP offset ('+09:00', '-05:00'). */
export function localDay(instant: string | number, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return new Date(new Date(instant).getTime() + minutes * 60_000).toISOString().slice(0, 10);
}

/**
 * Mean recovery score per day, a recovery's day being its cycle's: WHOOP cycles start at sleep
 * onset, so the day of their waking hours is the local date 12 hours after the start.
 */
export function recoveryByDay(control: SandboxControl, userId: string): Map<string, number> {
  const cycles = new Map(
    (control.records(userId, 'cycle') as (Timed & { id: number })[]).map((c) => [c.id, c]),
  );
  const scores = new Map<string, number[]>();
  for (const r of control.records(userId, 'recovery') as {
    cycle_id: number;
    score_state: string;
    score?: { recovery_score: number };
  }[]) {
    const cycle = cycles.get(r.cycle_id);
    if (!cycle || r.score_state !== 'SCORED' || r.score === undefined) continue;
    const day = localDay(new Date(cycle.start).getTime() + 12 * HOUR_MS, cycle.timezone_offset);
    scores.set(day, [...(scores.get(day) ?? []), r.score.recovery_score]);
  }
  return new Map([...scores].map(([day, list]) => [day, list.reduce((a, b) => a + b, 0) / list.length]));
}

export interface Stages {
  deep: number;
  rem: number;
  light: number;
  awake: number;
}

/** Hours per sleep stage per night (main sleeps, not naps), a night's day being the day of waking. */
export function sleepStagesByDay(control: SandboxControl, userId: string): Map<string, Stages> {
  const days = new Map<string, Stages>();
  for (const s of control.records(userId, 'sleep') as (Timed & {
    nap: boolean;
    score?: { stage_summary: Record<string, number> };
  })[]) {
    const stages = s.score?.stage_summary;
    if (s.nap || s.end === null || stages === undefined) continue;
    const day = localDay(s.end, s.timezone_offset);
    const sum = days.get(day) ?? { deep: 0, rem: 0, light: 0, awake: 0 };
    sum.deep += (stages.total_slow_wave_sleep_time_milli ?? 0) / HOUR_MS;
    sum.rem += (stages.total_rem_sleep_time_milli ?? 0) / HOUR_MS;
    sum.light += (stages.total_light_sleep_time_milli ?? 0) / HOUR_MS;
    sum.awake += (stages.total_awake_time_milli ?? 0) / HOUR_MS;
    days.set(day, sum);
  }
  return days;
}

/** Workouts and their hours per sport, for workouts starting in [from, to). */
export function workoutsBySport(
  control: SandboxControl,
  userId: string,
  from: Date,
  to: Date,
): Map<string, { workouts: number; hours: number }> {
  const sports = new Map<string, { workouts: number; hours: number }>();
  for (const w of control.records(userId, 'workout', from, to) as (Timed & { sport_name: string })[]) {
    const sum = sports.get(w.sport_name) ?? { workouts: 0, hours: 0 };
    sum.workouts++;
    sum.hours += (new Date(w.end ?? w.start).getTime() - new Date(w.start).getTime()) / HOUR_MS;
    sports.set(w.sport_name, sum);
  }
  return sports;
}
