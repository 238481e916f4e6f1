// The day's movement as Oura serves it: daily_activity (a day from 4 a.m., with its 5-minute class
// string and MET samples, steps and calories that agree with them), workouts, guided sessions and
// the daily stress summary. Seeded PRNG only: a day always generates the same way.
import type { Rng } from '../../sandbox-kit/prng.ts';
import { localized, localMs } from './clock.ts';

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(v)));

const WORKOUTS = [
  { activity: 'walking', kcalPerMin: 4.5, metersPerMin: 80 },
  { activity: 'running', kcalPerMin: 11, metersPerMin: 170 },
  { activity: 'cycling', kcalPerMin: 8, metersPerMin: 350 },
  { activity: 'strengthTraining', kcalPerMin: 6, metersPerMin: 0 },
  { activity: 'yoga', kcalPerMin: 3.5, metersPerMin: 0 },
  { activity: 'swimming', kcalPerMin: 9, metersPerMin: 40 },
] as const;

/** `worn` false: the ring was off all day; Oura still has the day, with no score and all non-wear. */
export function buildDailyActivity(
  rng: Rng,
  id: string,
  day: string,
  dayNumber: number,
  offset: number,
  worn: boolean,
) {
  // 288 five-minute slots from 04:00; 0 non-wear, 1 rest, 2 inactive, 3 low, 4 medium, 5 high.
  const classes: string[] = [];
  const met: number[] = [];
  for (let slot = 0; slot < 288; slot++) {
    const hour = (4 + slot / 12) % 24;
    let c: number;
    if (!worn || rng.chance(0.02)) c = 0;
    else if (hour >= 23 || hour < 7) c = 1;
    else c = rng.pick([2, 2, 2, 3, 3, 3, 3, 4, 4, 5]);
    classes.push(String(c));
    const metOf = [0, 0.9, 1.2, 2.2, 4, 7][c] ?? 0;
    met.push(Math.round(metOf * rng.range(0.9, 1.1) * 10) / 10);
  }
  const seconds = (c: string) => classes.filter((x) => x === c).length * 300;
  const metMinutes = (c: string) =>
    Math.round(met.reduce((sum, m, i) => sum + (classes[i] === c ? m * 5 : 0), 0));
  const high = seconds('5');
  const medium = seconds('4');
  const low = seconds('3');
  const steps = worn ? clamp((low / 60) * 45 + (medium / 60) * 100 + (high / 60) * 150, 0, 60_000) : 0;
  const active = worn ? clamp((low * 2 + medium * 5 + high * 9) / 60, 0, 4000) : 0;
  const target = 450 + rng.int(0, 4) * 50;
  const distance = Math.round(steps * 0.75);
  const c = () => clamp(rng.normal(78, 12), 1, 100);
  return {
    id,
    active_calories: active,
    average_met_minutes: Math.round((met.reduce((s, m) => s + m, 0) / 288) * 100) / 100,
    class_5_min: classes.join(''),
    contributors: worn
      ? {
          meet_daily_targets: c(),
          move_every_hour: c(),
          recovery_time: c(),
          stay_active: c(),
          training_frequency: c(),
          training_volume: c(),
        }
      : {
          meet_daily_targets: null,
          move_every_hour: null,
          recovery_time: null,
          stay_active: null,
          training_frequency: null,
          training_volume: null,
        },
    day,
    equivalent_walking_distance: distance,
    high_activity_met_minutes: metMinutes('5'),
    high_activity_time: high,
    inactivity_alerts: worn ? rng.int(0, 3) : 0,
    low_activity_met_minutes: metMinutes('3'),
    low_activity_time: low,
    medium_activity_met_minutes: metMinutes('4'),
    medium_activity_time: medium,
    met: { interval: 300, items: met, timestamp: localized(localMs(dayNumber, 4 * 60, offset), offset) },
    meters_to_target: Math.max(0, Math.round(target * 12) - distance),
    non_wear_time: seconds('0'),
    resting_time: seconds('1'),
    score: worn ? clamp(rng.normal(80, 10), 1, 100) : null,
    sedentary_met_minutes: metMinutes('2'),
    sedentary_time: seconds('2'),
    steps,
    target_calories: target,
    target_meters: target * 12,
    timestamp: localized(localMs(dayNumber, 4 * 60, offset), offset),
    total_calories: active + 1700 + rng.int(0, 200),
  };
}

export function buildWorkout(rng: Rng, id: string, day: string, dayNumber: number, offset: number) {
  const kind = rng.pick(WORKOUTS);
  const minutes = rng.int(20, 90);
  const startMs = localMs(dayNumber, rng.pick([7 * 60, 12 * 60, 18 * 60]) + rng.int(0, 59), offset);
  return {
    id,
    activity: kind.activity,
    calories: Math.round(kind.kcalPerMin * minutes * rng.range(0.85, 1.15) * 10) / 10,
    day,
    distance: kind.metersPerMin ? Math.round(kind.metersPerMin * minutes * rng.range(0.8, 1.2)) : null,
    end_datetime: localized(startMs + minutes * 60_000, offset),
    intensity: rng.pick(['easy', 'moderate', 'hard'] as const),
    label: null,
    source: rng.pick(['manual', 'autodetected', 'confirmed', 'workout_heart_rate'] as const),
    start_datetime: localized(startMs, offset),
  };
}

export function buildSession(rng: Rng, id: string, day: string, dayNumber: number, offset: number) {
  const minutes = rng.int(5, 20);
  const startMs = localMs(dayNumber, 20 * 60 + rng.int(0, 120), offset);
  const n = minutes * 12; // 5-second samples
  const series = (mean: number, sd: number) => ({
    interval: 5,
    items: Array.from({ length: n }, () => Math.round(rng.normal(mean, sd) * 10) / 10),
    timestamp: localized(startMs, offset),
  });
  return {
    id,
    day,
    end_datetime: localized(startMs + minutes * 60_000, offset),
    heart_rate: series(62, 3),
    heart_rate_variability: series(48, 8),
    mood: rng.pick(['bad', 'worse', 'same', 'good', 'great'] as const),
    motion_count: series(1, 1),
    start_datetime: localized(startMs, offset),
    type: rng.pick(['breathing', 'meditation', 'relaxation', 'rest'] as const),
  };
}

export function buildDailyStress(rng: Rng, id: string, day: string) {
  const stress = rng.int(0, 8) * 900;
  const recovery = rng.int(0, 10) * 900;
  return {
    id,
    day,
    day_summary: stress > recovery + 1800 ? 'stressful' : recovery > stress + 1800 ? 'restored' : 'normal',
    recovery_high: recovery,
    stress_high: stress,
  };
}
