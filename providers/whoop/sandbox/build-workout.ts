// Workout records: zone durations that sum to the workout's length, and heart rate, strain, energy,
// distance and climb that follow from the sport's zone profile.

import type { Rng } from '../../sandbox-kit/prng.ts';
import type { WorkoutPlan } from './day-plan.ts';
import { HOUR_MS, MINUTE_MS } from './day-plan.ts';
import {
  kilojoulePerMinute,
  sessionLoad,
  splitExact,
  strainFromLoad,
  ZONE_HR,
  ZONE_TOP,
} from './physiology.ts';
import { formatOffset, round, SPORTS, type UserParams } from './profile.ts';
import { iso, type RawRecord, V1_CUTOFF_MS } from './raw-record.ts';

export interface WorkoutInput {
  id: string;
  v1Id: number;
  plan: WorkoutPlan;
  startMs: number;
  offsetMin: number;
  unscorable: boolean;
}

export interface WorkoutOutcome {
  record: RawRecord;
  endMs: number;
  load: number;
  kilojoule: number;
  maxHeartRate: number;
}

const ZONE_KEYS = [
  'zone_zero_milli',
  'zone_one_milli',
  'zone_two_milli',
  'zone_three_milli',
  'zone_four_milli',
  'zone_five_milli',
];

export function buildWorkout(rng: Rng, p: UserParams, w: WorkoutInput): WorkoutOutcome {
  const sport = SPORTS[w.plan.sport] ?? SPORTS[0];
  if (!sport) throw new Error('no sports defined');
  const durationMs = w.plan.minutes * MINUTE_MS + rng.int(0, 59_999);
  const endMs = w.startMs + durationMs;
  // Harder sessions shift time from the low zones to the high ones.
  const shares = sport.zones.map(
    (z, i) => z * (1 + (w.plan.intensity - 1) * (i - 2.5)) * rng.range(0.8, 1.2),
  );
  const weights = shares.map((s) => Math.max(0, s));
  const zones = splitExact(durationMs, weights);
  const total = weights.reduce((a, b) => a + b, 0);
  const normalized = weights.map((s) => s / total);
  const minutes = durationMs / MINUTE_MS;
  const load = sessionLoad(normalized, minutes);
  const avgHr = Math.round(normalized.reduce((sum, s, i) => sum + s * (ZONE_HR[i] ?? 0) * p.maxHr, 0));
  const topZone = zones.reduce((top, ms, i) => (ms > 0 ? i : top), 0);
  const maxHr = Math.round((ZONE_TOP[topZone] ?? 1) * p.maxHr * rng.range(0.96, 1));
  const kilojoule = kilojoulePerMinute(avgHr, p.weightKg, p.age) * minutes;

  const score: Record<string, unknown> = {
    strain: round(strainFromLoad(load), 6),
    average_heart_rate: avgHr,
    max_heart_rate: Math.max(avgHr, maxHr),
    kilojoule: round(kilojoule, 6),
    percent_recorded: rng.chance(0.08) ? round(rng.range(85, 99.9), 4) : 100,
  };
  if (sport.speed) {
    const distance = (durationMs / 1000) * rng.range(sport.speed[0], sport.speed[1]);
    score.distance_meter = round(distance, 6);
    if (sport.climbPerKm) {
      score.altitude_gain_meter = round(
        (distance / 1000) * rng.range(sport.climbPerKm[0], sport.climbPerKm[1]),
        6,
      );
      score.altitude_change_meter = round(rng.normal(0, 4), 6);
    }
  }
  score.zone_durations = Object.fromEntries(ZONE_KEYS.map((key, i) => [key, zones[i] ?? 0]));

  const createdMs = endMs + rng.int(1 * MINUTE_MS, 30 * MINUTE_MS);
  const updatedMs = rng.chance(0.1) ? createdMs + rng.int(1, 12) * HOUR_MS : createdMs;
  const legacy = w.startMs < V1_CUTOFF_MS;
  const body: Record<string, unknown> = {
    id: w.id,
    v1_id: legacy ? w.v1Id : undefined,
    user_id: p.userId,
    created_at: '',
    updated_at: '',
    start: iso(w.startMs),
    end: iso(endMs),
    timezone_offset: formatOffset(w.offsetMin),
    sport_name: sport.name,
    score_state: '',
    score: undefined,
    sport_id: legacy ? sport.id : undefined,
  };
  const record: RawRecord = {
    kind: 'workout',
    id: w.id,
    tieKey: w.id,
    startMs: w.startMs,
    endMs,
    visibleMs: createdMs,
    createdMs,
    updatedMs,
    unscorable: w.unscorable,
    body,
    score,
  };
  return { record, endMs, load, kilojoule, maxHeartRate: Math.max(avgHr, maxHr) };
}
