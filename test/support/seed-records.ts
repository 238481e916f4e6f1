// A realistic, deterministic year of WHOOP data for two users, written straight into `records`
// (payloads shaped exactly like the WHOOP v2 spec's Cycle, Sleep, Recovery and WorkoutV2), plus the
// pipeline tables the health dashboard reads. It stands in for a sandbox backfill so that every
// panel has rows to return; the edge cases panels must survive are seeded on purpose: naps, a
// PENDING_SCORE night, an UNSCORABLE sleep, recoveries stored before their cycle (no times), a
// soft-deleted workout, failed and running runs, 429s, a coverage gap and quarantined records.
import type { Sql } from '../../store/db.ts';
import { seedPipeline } from './seed-pipeline.ts';

export interface SeedOptions {
  /** The last seeded day ends here (default: now). */
  end?: Date;
  days?: number;
}

export interface SeedSummary {
  users: string[];
  from: Date;
  to: Date;
  records: number;
}

interface SeedUser {
  id: string;
  whoopId: number;
  /** Offsets in standard and summer time, and the day-of-year range of summer time. */
  offsets: [string, string];
  summer: [number, number];
  bedtimeMin: number;
}

const USERS: SeedUser[] = [
  { id: 'alice', whoopId: 10129, offsets: ['-05:00', '-04:00'], summer: [70, 308], bedtimeMin: 22 * 60 + 45 },
  { id: 'bob', whoopId: 20488, offsets: ['+01:00', '+02:00'], summer: [87, 300], bedtimeMin: 23 * 60 + 30 },
];
const SPORTS = ['running', 'cycling', 'weightlifting', 'yoga', 'swimming', 'functional-fitness'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Row {
  kind: string;
  source_id: string;
  start_at: string | null;
  end_at: string | null;
  tz_offset: string | null;
  local_day: string | null;
  provider_updated_at: string;
  payload: Record<string, unknown>;
  first_ingested_at: string;
  deleted_at: string | null;
}

export async function seedRecords(sql: Sql, options: SeedOptions = {}): Promise<SeedSummary> {
  const to = options.end ?? new Date();
  const days = options.days ?? 365;
  const from = new Date(to.getTime() - days * DAY);
  let total = 0;
  for (const [index, user] of USERS.entries()) {
    const rows = generateUser(user, from, days, mulberry32(index + 1));
    await sql`insert into users (id) values (${user.id}) on conflict do nothing`;
    await sql`insert into connections (provider, user_id, status, external_user_id, created_at)
              values ('whoop', ${user.id}, 'active', ${String(user.whoopId)}, ${from})
              on conflict do nothing`;
    for (let i = 0; i < rows.length; i += 500) {
      await insertRecords(sql, user.id, rows.slice(i, i + 500));
    }
    total += rows.length;
    await seedPipeline(sql, user, index, from, to, mulberry32(100 + index));
  }
  // As autovacuum would after a backfill: plans for panel queries depend on current statistics.
  await sql`analyze`;
  return { users: USERS.map((u) => u.id), from, to, records: total };
}

function generateUser(user: SeedUser, from: Date, days: number, rand: () => number): Row[] {
  const rows: Row[] = [];
  const ingest = (at: number) => new Date(Math.max(at + HOUR / 2, from.getTime() + 2 * DAY)).toISOString();
  // Sleep onsets, one per night; night i ends on local day i, and the cycle it opens runs until the next.
  const onsets: number[] = [];
  for (let i = 0; i <= days; i++) {
    const offset = offsetFor(user, new Date(from.getTime() + i * DAY));
    const localMidnight = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + i);
    const bedtime = user.bedtimeMin + Math.round((rand() - 0.5) * 120);
    onsets.push(localMidnight - DAY + bedtime * 60_000 - offsetMinutes(offset) * 60_000);
  }
  for (let i = 0; i < days; i++) {
    const start = onsets[i] as number;
    const next = onsets[i + 1] as number;
    const tz = offsetFor(user, new Date(start));
    const last = i === days - 1;
    const cycleId = user.whoopId * 1000 + i;
    const asleepMs = (6 + rand() * 2.8) * HOUR;
    const awakeMs = asleepMs * (0.04 + rand() * 0.08);
    const sleepEnd = start + asleepMs + awakeMs;
    const sleepId = uuid(rand);
    const updated = (t: number) => new Date(t + HOUR + rand() * HOUR).toISOString();
    const base = { user_id: user.whoopId, timezone_offset: tz };
    const recovery = Math.round(Math.min(99, Math.max(3, 20 + (asleepMs / HOUR - 6) * 18 + rand() * 45)));
    const strain = Math.round((6 + rand() * 12) * 100) / 100;

    // The current cycle has no end and no score yet; the night before it is still being scored.
    const cycle = {
      id: cycleId,
      ...base,
      created_at: new Date(start + 60_000).toISOString(),
      updated_at: updated(last ? start : next),
      start: new Date(start).toISOString(),
      ...(last ? {} : { end: new Date(next).toISOString() }),
      score_state: last ? 'PENDING_SCORE' : 'SCORED',
      ...(last
        ? {}
        : {
            score: {
              strain,
              kilojoule: Math.round(7000 + strain * 250 + rand() * 1500),
              average_heart_rate: Math.round(58 + strain * 1.5),
              max_heart_rate: Math.round(140 + strain * 2.5),
            },
          }),
    };
    rows.push(
      timed('cycle', String(cycleId), cycle, start, last ? null : next, tz, ingest(last ? start : next)),
    );

    const scored = !last && i !== 100;
    const stage = (share: number) => Math.round(asleepMs * share);
    const sleep = {
      id: sleepId,
      cycle_id: cycleId,
      v1_id: cycleId,
      ...base,
      created_at: new Date(sleepEnd + 60_000).toISOString(),
      updated_at: updated(sleepEnd),
      start: new Date(start).toISOString(),
      end: new Date(sleepEnd).toISOString(),
      nap: false,
      score_state: last ? 'PENDING_SCORE' : i === 100 ? 'UNSCORABLE' : 'SCORED',
      ...(scored ? { score: sleepScore(asleepMs, awakeMs, stage, rand) } : {}),
    };
    rows.push(timed('sleep', sleepId, sleep, start, sleepEnd, tz, ingest(sleepEnd)));

    if (!last) {
      const rec = {
        cycle_id: cycleId,
        sleep_id: sleepId,
        user_id: user.whoopId,
        created_at: new Date(sleepEnd + 5 * 60_000).toISOString(),
        updated_at: updated(sleepEnd),
        score_state: 'SCORED',
        score: {
          user_calibrating: i < 4,
          recovery_score: recovery,
          resting_heart_rate: Math.round(64 - recovery / 8 + rand() * 4),
          hrv_rmssd_milli: Math.round((25 + recovery * 0.6 + rand() * 12) * 1000) / 1000,
          spo2_percentage: Math.round((94.5 + rand() * 4) * 100) / 100,
          skin_temp_celsius: Math.round((33.2 + rand() * 1.3) * 100) / 100,
        },
      };
      // Half the recoveries were stored before their cycle: no times of their own (see the views).
      const own = i % 2 === 0;
      rows.push({
        ...timed(
          'recovery',
          String(cycleId),
          rec,
          own ? start : null,
          own ? next : null,
          own ? tz : null,
          ingest(sleepEnd),
        ),
        provider_updated_at: rec.updated_at,
      });
    }

    if (rand() < 0.12 && !last) {
      const napStart = sleepEnd + (6 + rand() * 3) * HOUR;
      const napMs = (0.3 + rand() * 0.7) * HOUR;
      const napId = uuid(rand);
      const nap = {
        ...sleep,
        id: napId,
        v1_id: undefined,
        created_at: new Date(napStart + napMs + 60_000).toISOString(),
        start: new Date(napStart).toISOString(),
        end: new Date(napStart + napMs).toISOString(),
        nap: true,
        score_state: 'SCORED',
        score: sleepScore(napMs * 0.9, napMs * 0.1, (s) => Math.round(napMs * 0.9 * s), rand),
      };
      rows.push(timed('sleep', napId, nap, napStart, napStart + napMs, tz, ingest(napStart + napMs)));
    }

    const workouts = last ? 0 : rand() < 0.6 ? (rand() < 0.15 ? 2 : 1) : 0;
    for (let w = 0; w < workouts; w++) {
      const wStart = sleepEnd + (2 + w * 6 + rand() * 4) * HOUR;
      const minutes = Math.round(25 + rand() * 65);
      const sport = SPORTS[Math.floor(rand() * SPORTS.length)] as string;
      const workoutId = uuid(rand);
      const zones = [0.05, 0.15, 0.3, 0.3, 0.15, 0.05].map((share) => Math.round(minutes * 60_000 * share));
      const workout = {
        id: workoutId,
        v1_id: cycleId * 10 + w,
        ...base,
        created_at: new Date(wStart + minutes * 60_000 + 60_000).toISOString(),
        updated_at: updated(wStart + minutes * 60_000),
        start: new Date(wStart).toISOString(),
        end: new Date(wStart + minutes * 60_000).toISOString(),
        sport_name: sport,
        sport_id: SPORTS.indexOf(sport),
        score_state: 'SCORED',
        score: {
          strain: Math.round((5 + rand() * 13) * 100) / 100,
          average_heart_rate: Math.round(115 + rand() * 40),
          max_heart_rate: Math.round(150 + rand() * 40),
          kilojoule: Math.round(minutes * (25 + rand() * 20) * 100) / 100,
          percent_recorded: 100,
          ...(sport === 'running' || sport === 'cycling'
            ? {
                distance_meter: minutes * (sport === 'running' ? 170 : 420),
                altitude_gain_meter: rand() * 120,
              }
            : {}),
          zone_durations: {
            zone_zero_milli: zones[0],
            zone_one_milli: zones[1],
            zone_two_milli: zones[2],
            zone_three_milli: zones[3],
            zone_four_milli: zones[4],
            zone_five_milli: zones[5],
          },
        },
      };
      const row = timed('workout', workoutId, workout, wStart, wStart + minutes * 60_000, tz, ingest(wStart));
      // One workout the provider later deleted: the views must hide it.
      if (i === 200 && w === 0) row.deleted_at = new Date(wStart + 2 * DAY).toISOString();
      rows.push(row);
    }
  }
  const profile = {
    user_id: user.whoopId,
    email: `${user.id}@example.com`,
    first_name: user.id,
    last_name: 'Test',
  };
  const body = { height_meter: 1.75, weight_kilogram: 70.5, max_heart_rate: 192 };
  rows.push(single('profile', profile, from), single('body_measurement', body, from));
  return rows;
}

function sleepScore(asleepMs: number, awakeMs: number, stage: (share: number) => number, rand: () => number) {
  const needMs = 8 * HOUR;
  return {
    stage_summary: {
      total_in_bed_time_milli: Math.round(asleepMs + awakeMs),
      total_awake_time_milli: Math.round(awakeMs),
      total_no_data_time_milli: 0,
      total_light_sleep_time_milli: stage(0.52),
      total_slow_wave_sleep_time_milli: stage(0.22),
      total_rem_sleep_time_milli: stage(0.26),
      sleep_cycle_count: Math.max(1, Math.round(asleepMs / (1.5 * HOUR))),
      disturbance_count: Math.round(rand() * 15),
    },
    sleep_needed: {
      baseline_milli: Math.round(needMs * 0.95),
      need_from_sleep_debt_milli: Math.round(rand() * HOUR),
      need_from_recent_strain_milli: Math.round(rand() * 0.5 * HOUR),
      need_from_recent_nap_milli: -Math.round(rand() * 0.2 * HOUR),
    },
    respiratory_rate: Math.round((14 + rand() * 3) * 1000) / 1000,
    sleep_performance_percentage: Math.min(100, Math.round((asleepMs / needMs) * 100)),
    sleep_consistency_percentage: Math.round(60 + rand() * 38),
    sleep_efficiency_percentage: Math.round((asleepMs / (asleepMs + awakeMs)) * 10000) / 100,
  };
}

function timed(
  kind: string,
  sourceId: string,
  payload: Record<string, unknown>,
  start: number | null,
  end: number | null,
  tz: string | null,
  ingestedAt: string,
): Row {
  return {
    kind,
    source_id: sourceId,
    start_at: start === null ? null : new Date(start).toISOString(),
    end_at: end === null ? null : new Date(end).toISOString(),
    tz_offset: tz,
    // As the WHOOP mapping stores it: the start instant's date in the record's own offset.
    local_day:
      start === null || tz === null
        ? null
        : new Date(start + offsetMinutes(tz) * 60_000).toISOString().slice(0, 10),
    provider_updated_at: String(payload.updated_at),
    payload: JSON.parse(JSON.stringify(payload)),
    first_ingested_at: ingestedAt,
    deleted_at: null,
  };
}

function single(kind: string, payload: Record<string, unknown>, at: Date): Row {
  const iso = at.toISOString();
  return { ...timed(kind, kind, { ...payload, updated_at: iso }, null, null, null, iso), payload };
}

async function insertRecords(sql: Sql, userId: string, rows: Row[]): Promise<void> {
  await sql`
    insert into records (provider, user_id, kind, source_id, start_at, end_at, tz_offset, local_day,
                         provider_updated_at, payload, first_ingested_at, last_changed_at, deleted_at)
    select 'whoop', ${userId}, kind, source_id, start_at, end_at, tz_offset, local_day, provider_updated_at,
           payload, first_ingested_at, coalesce(deleted_at, first_ingested_at), deleted_at
    from jsonb_to_recordset(${sql.json(rows as never)}::jsonb) as x(
      kind text, source_id text, start_at timestamptz, end_at timestamptz, tz_offset text, local_day date,
      provider_updated_at timestamptz, payload jsonb, first_ingested_at timestamptz, deleted_at timestamptz)`;
}

function offsetFor(user: SeedUser, at: Date): string {
  const dayOfYear = Math.floor((at.getTime() - Date.UTC(at.getUTCFullYear(), 0, 1)) / DAY);
  return dayOfYear >= user.summer[0] && dayOfYear < user.summer[1] ? user.offsets[1] : user.offsets[0];
}

function offsetMinutes(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

function uuid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** A small seeded PRNG: the same seed gives the same year, run after run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
