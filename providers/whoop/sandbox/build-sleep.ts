// Sleep records: stages that sum to the time in bed, a sleep need built from debt, strain and naps,
// and performance/efficiency/consistency derived from those, so downstream recovery can follow them.

import type { Rng } from '../../sandbox-kit/prng.ts';
import { type DayPlan, HOUR_MS, MINUTE_MS } from './day-plan.ts';
import { splitExact } from './physiology.ts';
import { clamp, formatOffset, round, type UserParams } from './profile.ts';
import { iso, type RawRecord, V1_CUTOFF_MS } from './raw-record.ts';

export interface SleepInput {
  id: string;
  cycleId: number;
  v1Id: number;
  nap: boolean;
  startMs: number;
  inBedMs: number;
  /** The day before (sleep debt, strain, naps) and this day (bedtime, sickness). */
  prev: DayPlan;
  cur: DayPlan;
  unscorable: boolean;
}

export interface SleepOutcome {
  record: RawRecord;
  endMs: number;
  performance: number;
}

export function buildSleep(rng: Rng, p: UserParams, s: SleepInput): SleepOutcome {
  const { prev, cur } = s;
  const endMs = s.startMs + s.inBedMs;
  const awakeShare = s.nap ? rng.range(0.05, 0.2) : rng.range(0.04, 0.12) + (cur.sick ? 0.04 : 0);
  const noData = rng.chance(0.12) ? rng.int(1, 25) * MINUTE_MS : 0;
  const awake = Math.round(s.inBedMs * awakeShare);
  const asleep = Math.max(0, s.inBedMs - awake - noData);
  const [light = 0, sws = 0, rem = 0] = s.nap
    ? splitExact(asleep, [rng.range(0.55, 0.75), rng.range(0.2, 0.4), rng.range(0, 0.1)])
    : splitExact(asleep, [rng.range(0.48, 0.58), rng.range(0.16, 0.24), rng.range(0.19, 0.27)]);

  // Need: baseline, plus half of last night's shortfall, plus yesterday's training, minus yesterday's nap.
  const baseline = Math.round(p.sleepNeedMs + rng.normal(0, 4 * MINUTE_MS));
  const debt = Math.round(clamp((p.sleepNeedMs - prev.inBedMs * 0.9) * 0.6, 0, 2.5 * HOUR_MS));
  const strainNeed = Math.round(prev.load * 6000);
  const napNeed = prev.nap ? -prev.nap.minutes * MINUTE_MS : 0;
  const need = baseline + debt + strainNeed + napNeed;
  const performance = clamp((asleep / (s.nap ? need / 8 : need)) * 100, 0, 100);
  const consistency = clamp(
    100 - Math.abs(cur.bedtimeMin - prev.bedtimeMin) * 0.55 + rng.normal(0, 3),
    25,
    99,
  );

  const score: Record<string, unknown> = {
    stage_summary: {
      total_in_bed_time_milli: s.inBedMs,
      total_awake_time_milli: awake,
      total_no_data_time_milli: noData,
      total_light_sleep_time_milli: light,
      total_slow_wave_sleep_time_milli: sws,
      total_rem_sleep_time_milli: rem,
      sleep_cycle_count: Math.max(s.nap ? 0 : 1, Math.round(asleep / (90 * MINUTE_MS) + rng.normal(0, 0.4))),
      disturbance_count: rng.int(s.nap ? 0 : 3, s.nap ? 4 : 16) + Math.round(awakeShare * 40),
    },
    sleep_needed: {
      baseline_milli: baseline,
      need_from_sleep_debt_milli: debt,
      need_from_recent_strain_milli: strainNeed,
      need_from_recent_nap_milli: napNeed,
    },
    respiratory_rate: round(14.6 + rng.normal(0, 0.6) + (cur.sick ? 1.6 : 0), 6),
    sleep_performance_percentage: Math.round(performance),
    sleep_consistency_percentage: Math.round(consistency),
    sleep_efficiency_percentage: round((asleep / s.inBedMs) * 100, 6),
  };

  const createdMs = endMs + rng.int(2 * MINUTE_MS, 45 * MINUTE_MS);
  const updatedMs = rng.chance(0.15) ? createdMs + rng.int(1, 20) * HOUR_MS : createdMs;
  const body: Record<string, unknown> = {
    id: s.id,
    cycle_id: s.cycleId,
    v1_id: s.startMs < V1_CUTOFF_MS ? s.v1Id : undefined,
    user_id: p.userId,
    created_at: '',
    updated_at: '',
    start: iso(s.startMs),
    end: iso(endMs),
    timezone_offset: formatOffset(cur.offsetMin),
    nap: s.nap,
    score_state: '',
    score: undefined,
  };
  const record: RawRecord = {
    kind: 'sleep',
    id: s.id,
    tieKey: s.id,
    startMs: s.startMs,
    endMs,
    visibleMs: createdMs,
    createdMs,
    updatedMs,
    unscorable: s.unscorable,
    body,
    score,
  };
  return { record, endMs, performance };
}
