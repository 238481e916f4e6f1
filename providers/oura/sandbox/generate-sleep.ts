// A night's documents as Oura serves them: the sleep period (bedtimes, stage durations that add up to
// the time in bed, a 5-minute hypnogram and 30-second movement string consistent with them, heart
// rate and HRV samples, embedded readiness), naps, and the day's daily_sleep, daily_readiness and
// daily_spo2 scores with their contributors. Values stay in physiological ranges and derive from the
// seeded PRNG only, so a day always generates the same way.
import type { Rng } from '../../sandbox-kit/prng.ts';
import { localized, localMs } from './clock.ts';

export interface Night {
  sleep: Record<string, unknown>;
  score: number;
  efficiency: number;
  totalSleep: number;
  lowestHeartRate: number;
  averageHrv: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(v)));

/** Stage seconds that add up to time in bed, in 5-minute epochs. */
function stages(rng: Rng, epochs: number) {
  const awake = clamp(epochs * rng.range(0.05, 0.12), 1, epochs);
  const deep = clamp(epochs * rng.range(0.13, 0.22), 1, epochs - awake);
  const rem = clamp(epochs * rng.range(0.18, 0.26), 1, epochs - awake - deep);
  const light = epochs - awake - deep - rem;
  return { awake, deep, rem, light };
}

/** A hypnogram with the given epoch counts: awake at both ends, deep early, REM late, light between. */
function hypnogram(rng: Rng, counts: { awake: number; deep: number; rem: number; light: number }): string {
  const left = { ...counts };
  const out: string[] = [];
  const take = (stage: keyof typeof left, char: string, n: number) => {
    const k = Math.min(n, left[stage]);
    left[stage] -= k;
    for (let i = 0; i < k; i++) out.push(char);
  };
  take('awake', '4', Math.ceil(counts.awake / 2));
  const cycles = 4 + rng.int(0, 1);
  for (let c = 0; c < cycles; c++) {
    const last = c === cycles - 1;
    take('light', '2', last ? left.light : Math.ceil(counts.light / cycles));
    take('deep', '1', last ? left.deep : Math.ceil((counts.deep * (cycles - c)) / (cycles * 2)) + 1);
    take('rem', '3', last ? left.rem : Math.ceil((counts.rem * (c + 1)) / (cycles * 2)));
    if (!last && left.awake > 1) take('awake', '4', 1);
  }
  take('awake', '4', left.awake);
  return out.join('');
}

function samples(rng: Rng, startMs: number, offset: number, n: number, mean: number, sd: number, lo: number) {
  const items: (number | null)[] = [];
  for (let i = 0; i < n; i++)
    items.push(rng.chance(0.03) ? null : Math.max(lo, Math.round(rng.normal(mean, sd))));
  return { interval: 300, items, timestamp: localized(startMs, offset) };
}

const READINESS_NAMES = [
  'activity_balance',
  'body_temperature',
  'hrv_balance',
  'previous_day_activity',
  'previous_night',
  'recovery_index',
  'resting_heart_rate',
  'sleep_balance',
  'sleep_regularity',
] as const;

export function readinessContributors(rng: Rng, base: number): Record<string, number> {
  return Object.fromEntries(READINESS_NAMES.map((name) => [name, clamp(rng.normal(base, 9), 1, 100)]));
}

/** The main sleep of the night that ends on `day` (Oura's day of a night is the day it ends). */
export function buildNight(rng: Rng, id: string, day: string, dayNumber: number, offset: number): Night {
  const bedtimeMinutes = -60 + Math.round(rng.normal(0, 40)); // about 23:00 the evening before
  const epochs = clamp(rng.normal(96, 10), 60, 130); // 5-minute epochs: 5–11 hours
  const startMs = localMs(dayNumber, bedtimeMinutes, offset);
  const endMs = startMs + epochs * 300_000;
  const counts = stages(rng, epochs);
  const phases = hypnogram(rng, counts);
  const timeInBed = epochs * 300;
  const totalSleep = (counts.deep + counts.rem + counts.light) * 300;
  const latency = clamp(rng.range(180, 1500), 60, counts.awake * 300);
  const efficiency = clamp((totalSleep / timeInBed) * 100, 1, 100);
  const lowestHeartRate = clamp(rng.normal(50, 4), 38, 70);
  const averageHrv = clamp(rng.normal(55, 12), 15, 140);
  const score = clamp(34 + (totalSleep / 3600) * 6 + (efficiency - 85) * 0.8 + rng.normal(0, 4), 1, 100);
  const readinessScore = clamp(rng.normal(score, 8), 1, 100);
  const movement = Array.from({ length: epochs * 10 }, (_, i) =>
    phases[Math.floor(i / 10)] === '4' ? String(rng.int(2, 4)) : rng.chance(0.08) ? '2' : '1',
  ).join('');
  const sleep = {
    id,
    average_breath: Math.round(rng.normal(14.5, 1) * 1000) / 1000,
    average_heart_rate: Math.round(rng.normal(lowestHeartRate + 6, 1.5) * 1000) / 1000,
    average_hrv: averageHrv,
    awake_time: counts.awake * 300,
    bedtime_end: localized(endMs, offset),
    bedtime_start: localized(startMs, offset),
    day,
    deep_sleep_duration: counts.deep * 300,
    efficiency,
    heart_rate: samples(rng, startMs, offset, epochs, lowestHeartRate + 6, 3, 35),
    hrv: samples(rng, startMs, offset, epochs, averageHrv, 10, 5),
    latency,
    light_sleep_duration: counts.light * 300,
    low_battery_alert: rng.chance(0.02),
    lowest_heart_rate: lowestHeartRate,
    movement_30_sec: movement,
    period: 0,
    readiness: {
      contributors: readinessContributors(rng, readinessScore),
      score: readinessScore,
      temperature_deviation: Math.round(rng.normal(0, 0.25) * 100) / 100 || 0,
      temperature_trend_deviation: Math.round(rng.normal(0, 0.15) * 100) / 100 || 0,
    },
    readiness_score_delta: rng.int(-3, 3),
    rem_sleep_duration: counts.rem * 300,
    restless_periods: rng.int(80, 320),
    sleep_algorithm_version: 'v2',
    sleep_analysis_reason: 'foreground_sleep_analysis',
    sleep_phase_30_sec: Array.from(phases, (c) => c.repeat(10)).join(''),
    sleep_phase_5_min: phases,
    sleep_score_delta: rng.int(-3, 3),
    time_in_bed: timeInBed,
    total_sleep_duration: totalSleep,
    type: 'long_sleep',
    ring_id: null,
    app_sleep_phase_5_min: phases,
  };
  return { sleep, score, efficiency, totalSleep, lowestHeartRate, averageHrv };
}

/** An afternoon nap ('sleep', confirmed) or a falsely detected rest ('rest', rejected by the user). */
export function buildNap(
  rng: Rng,
  id: string,
  day: string,
  dayNumber: number,
  offset: number,
  type: 'sleep' | 'rest',
): Record<string, unknown> {
  const startMs = localMs(dayNumber, 13 * 60 + rng.int(0, 180), offset);
  const epochs = rng.int(4, 18);
  const counts = stages(rng, epochs);
  const phases = hypnogram(rng, counts);
  return {
    id,
    average_breath: Math.round(rng.normal(15, 1) * 1000) / 1000,
    average_heart_rate: Math.round(rng.normal(60, 3) * 1000) / 1000,
    average_hrv: clamp(rng.normal(45, 10), 10, 120),
    awake_time: counts.awake * 300,
    bedtime_end: localized(startMs + epochs * 300_000, offset),
    bedtime_start: localized(startMs, offset),
    day,
    deep_sleep_duration: counts.deep * 300,
    efficiency: clamp(((epochs - counts.awake) / epochs) * 100, 1, 100),
    heart_rate: samples(rng, startMs, offset, epochs, 60, 3, 35),
    hrv: null,
    latency: 300,
    light_sleep_duration: counts.light * 300,
    low_battery_alert: false,
    lowest_heart_rate: clamp(rng.normal(55, 3), 38, 80),
    movement_30_sec: null,
    period: 1,
    readiness: null,
    readiness_score_delta: null,
    rem_sleep_duration: counts.rem * 300,
    restless_periods: rng.int(5, 40),
    sleep_algorithm_version: 'v2',
    sleep_analysis_reason: 'foreground_sleep_analysis',
    sleep_phase_30_sec: null,
    sleep_phase_5_min: phases,
    sleep_score_delta: null,
    time_in_bed: epochs * 300,
    total_sleep_duration: (epochs - counts.awake) * 300,
    type,
    ring_id: null,
    app_sleep_phase_5_min: phases,
  };
}

export function buildDailySleep(rng: Rng, id: string, day: string, night: Night, timestamp: string) {
  const c = (bias: number) => clamp(rng.normal(night.score + bias, 8), 1, 100);
  return {
    id,
    contributors: {
      deep_sleep: c(5),
      efficiency: clamp(night.efficiency, 1, 100),
      latency: c(10),
      rem_sleep: c(0),
      restfulness: c(-10),
      timing: c(8),
      total_sleep: clamp((night.totalSleep / (8 * 3600)) * 100, 1, 100),
    },
    day,
    score: night.score,
    timestamp,
  };
}

export function buildDailyReadiness(rng: Rng, id: string, day: string, night: Night, timestamp: string) {
  const readiness = night.sleep.readiness as { score: number; temperature_deviation: number };
  return {
    id,
    contributors: readinessContributors(rng, readiness.score),
    day,
    score: readiness.score,
    temperature_deviation: readiness.temperature_deviation,
    temperature_trend_deviation: Math.round(rng.normal(0, 0.15) * 100) / 100 || 0,
    timestamp,
  };
}

export function buildDailySpo2(rng: Rng, id: string, day: string) {
  return {
    id,
    breathing_disturbance_index: rng.int(0, 12),
    day,
    spo2_percentage: { average: Math.round(rng.normal(96.4, 0.8) * 1000) / 1000 },
  };
}
