// One day of records for one user: the cycle opened by the night's sleep, that sleep, an optional nap,
// 0–2 workouts and the recovery that links cycle and sleep. Pure in (user, yesterday's, today's and
// tomorrow's plans): the clock is applied later by `finalize`.

import { Rng } from '../../sandbox-kit/prng.ts';
import { buildSleep } from './build-sleep.ts';
import { buildWorkout, type WorkoutOutcome } from './build-workout.ts';
import { type DayPlan, HOUR_MS, localMidnight, MINUTE_MS, sleepStart } from './day-plan.ts';
import { recoveryScore, restingKilojoulePerDay, strainFromLoad } from './physiology.ts';
import { clamp, formatOffset, round, type UserParams } from './profile.ts';
import { iso, type RawRecord } from './raw-record.ts';

/** Cycle ids grow with the day, and the user's id keeps different users' ids apart. */
export function cycleIdFor(p: UserParams, day: number): number {
  return day * 1000 + (p.userId % 1000);
}

export function buildDay(p: UserParams, prev: DayPlan, cur: DayPlan, next: DayPlan): RawRecord[] {
  const rng = new Rng(`${p.prefix}|detail|${cur.day}`);
  const ids = (what: string) => new Rng(`${p.prefix}|id|${what}|${cur.day}`).uuid();
  const cycleId = cycleIdFor(p, cur.day);
  const cycleStart = sleepStart(cur);
  const nextStart = sleepStart(next);
  const midnight = localMidnight(cur.day, cur.offsetMin);
  const out: RawRecord[] = [];

  // The night's sleep opens the cycle; it must leave a waking day before the next night.
  const sleepUnscorable = rng.chance(0.02);
  const inBedMs = Math.min(cur.inBedMs, nextStart - cycleStart - 8 * HOUR_MS);
  const sleepId = ids('sleep');
  const sleep = buildSleep(rng, p, {
    id: sleepId,
    cycleId,
    v1Id: cycleId * 4,
    nap: false,
    startMs: cycleStart,
    inBedMs,
    prev,
    cur,
    unscorable: sleepUnscorable,
  });
  out.push(sleep.record);
  const awakeFrom = sleep.endMs + 30 * MINUTE_MS;
  const awakeUntil = nextStart - HOUR_MS;

  let napSpan: [number, number] | undefined;
  if (cur.nap) {
    const start = midnight + cur.nap.startMin * MINUTE_MS + rng.int(0, 59_999);
    const inBed = cur.nap.minutes * MINUTE_MS + rng.int(0, 59_999);
    if (start >= awakeFrom + HOUR_MS && start + inBed <= awakeUntil - HOUR_MS) {
      const nap = buildSleep(rng, p, {
        id: ids('nap'),
        cycleId,
        v1Id: cycleId * 4 + 1,
        nap: true,
        startMs: start,
        inBedMs: inBed,
        prev,
        cur,
        unscorable: rng.chance(0.05),
      });
      out.push(nap.record);
      napSpan = [start, nap.endMs];
    }
  }

  const workouts: WorkoutOutcome[] = [];
  cur.workouts.forEach((plan, i) => {
    const start = midnight + plan.startMin * MINUTE_MS + rng.int(0, 59_999);
    const end = start + (plan.minutes + 1) * MINUTE_MS;
    const clashes = napSpan && start < napSpan[1] && end > napSpan[0];
    const previous = workouts.at(-1);
    if (start < awakeFrom || end > awakeUntil || clashes || (previous && start < previous.endMs)) return;
    const unscorable = rng.chance(0.02);
    const w = buildWorkout(rng, p, {
      id: ids(`workout${i}`),
      v1Id: cycleId * 4 + 2 + i,
      plan,
      startMs: start,
      offsetMin: cur.offsetMin,
      unscorable,
    });
    workouts.push(w);
    out.push(w.record);
  });

  out.push(buildCycle(rng, p, cur, cycleId, cycleStart, nextStart, workouts));
  out.push(
    buildRecovery(
      rng,
      p,
      prev,
      cur,
      cycleId,
      cycleStart,
      sleepId,
      sleep.endMs,
      sleep.performance,
      sleepUnscorable,
    ),
  );
  return out;
}

function buildCycle(
  rng: Rng,
  p: UserParams,
  cur: DayPlan,
  cycleId: number,
  startMs: number,
  endMs: number,
  workouts: WorkoutOutcome[],
): RawRecord {
  const load = rng.range(25, 60) + workouts.reduce((sum, w) => sum + w.load, 0);
  const hours = (endMs - startMs) / HOUR_MS;
  const workoutKj = workouts.reduce((sum, w) => sum + w.kilojoule, 0);
  const kilojoule =
    (restingKilojoulePerDay(p.weightKg, p.heightM, p.age) * hours) / 24 + rng.range(700, 2400) + workoutKj;
  const workoutHours = workouts.reduce((sum, w) => sum + (w.endMs - w.record.startMs) / HOUR_MS, 0);
  const score = {
    strain: round(strainFromLoad(load), 7),
    kilojoule: round(kilojoule, 3),
    average_heart_rate: Math.round(p.restingHr + rng.range(8, 16) + workoutHours * 5 + (cur.sick ? 4 : 0)),
    max_heart_rate: Math.max(rng.int(95, 130), ...workouts.map((w) => w.maxHeartRate)),
  };
  const createdMs = startMs + rng.int(1 * MINUTE_MS, 20 * MINUTE_MS);
  const body: Record<string, unknown> = {
    id: cycleId,
    user_id: p.userId,
    created_at: '',
    updated_at: '',
    start: iso(startMs),
    end: undefined,
    timezone_offset: formatOffset(cur.offsetMin),
    score_state: '',
    score: undefined,
  };
  return {
    kind: 'cycle',
    id: String(cycleId),
    tieKey: String(cycleId).padStart(16, '0'),
    startMs,
    endMs,
    // Served from its start (WHOOP shows the running cycle); created_at is clamped to the clock.
    visibleMs: startMs,
    createdMs,
    updatedMs: endMs + rng.int(1 * MINUTE_MS, 30 * MINUTE_MS),
    unscorable: rng.chance(0.005),
    body,
    score,
  };
}

function buildRecovery(
  rng: Rng,
  p: UserParams,
  prev: DayPlan,
  cur: DayPlan,
  cycleId: number,
  cycleStart: number,
  sleepId: string,
  sleepEnd: number,
  sleepPerformance: number,
  sleepUnscorable: boolean,
): RawRecord {
  // HRV drops with illness, hard training the day before and poor sleep; resting HR moves the other way.
  const hrvRatio =
    Math.exp(rng.normal(0, 0.12)) *
    (1 + (sleepPerformance - 85) / 400) *
    (cur.sick ? 0.72 : 1) *
    (prev.load > 150 ? 0.93 : 1);
  const rhrDelta = rng.normal(0, 1.6) + (cur.sick ? 5 : 0) + (hrvRatio < 0.9 ? 2 : 0);
  const score = {
    user_calibrating: false,
    recovery_score: Math.round(recoveryScore(hrvRatio, sleepPerformance, rhrDelta)),
    resting_heart_rate: Math.round(p.restingHr + rhrDelta),
    hrv_rmssd_milli: round(p.hrvMs * hrvRatio, 6),
    spo2_percentage: round(clamp(rng.normal(96.8, 0.9) - (cur.sick ? 1.5 : 0), 90, 100), 4),
    skin_temp_celsius: round(33.6 + rng.normal(0, 0.3) + (cur.sick ? 0.8 : 0), 4),
  };
  const createdMs = sleepEnd + rng.int(3 * MINUTE_MS, 60 * MINUTE_MS);
  const body: Record<string, unknown> = {
    cycle_id: cycleId,
    sleep_id: sleepId,
    user_id: p.userId,
    created_at: '',
    updated_at: '',
    score_state: '',
    score: undefined,
  };
  return {
    kind: 'recovery',
    id: String(cycleId),
    tieKey: String(cycleId).padStart(16, '0'),
    startMs: cycleStart,
    endMs: sleepEnd,
    visibleMs: createdMs,
    createdMs,
    updatedMs: rng.chance(0.1) ? createdMs + rng.int(1, 8) * HOUR_MS : createdMs,
    unscorable: sleepUnscorable || rng.chance(0.01),
    body,
    score,
  };
}
