// Deterministic, realistic Junction documents: one function of (seed, user, source, day) per kind,
// shaped like the spec's ClientFacingSleep / Activity / Workout / Body and heart-rate samples. A
// revision (a re-synced or re-scored document) changes a few values and moves updated_at on.
import { chanceFor, intFor, numberFor, pickFor, uuidFor } from '../../sandbox-kit/keyed-random.ts';
import type { JunctionSummaryKind } from '../descriptor.ts';
import { type SandboxUser, TEAM_ID } from './users.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Heart-rate sample spacing. */
export const HEART_RATE_STEP_MS = 10 * 60_000;

export interface Revision {
  count: number;
  at: Date;
}

export type Doc = Record<string, unknown> & { id: string; calendar_date: string };

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

function sourceOf(provider: string) {
  const type = provider === 'oura' ? 'ring' : provider === 'withings' ? 'scale' : 'watch';
  return { provider, type, app_id: null, device_id: null };
}

/** A summary document's id: the same key always gives the same id. */
export function documentId(seed: string, user: SandboxUser, kind: string, source: string, day: string) {
  return uuidFor(`${seed}|${user.name}|${kind}|${source}|${day}`);
}

/** The documents of one kind, user and calendar day (every source that reports it). */
export function documentsFor(
  seed: string,
  user: SandboxUser,
  kind: JunctionSummaryKind,
  day: string,
  revisionOf: (id: string) => Revision | undefined,
): Doc[] {
  const docs: Doc[] = [];
  for (const source of user.sources[kind]) {
    const id = documentId(seed, user, kind, source, day);
    const key = `${seed}|${user.name}|${kind}|${source}|${day}`;
    const doc = BUILDERS[kind](key, user, source, day);
    if (!doc) continue;
    const midnight = Date.parse(`${day}T00:00:00Z`);
    // Synced the morning after: created then, updated again with every revision.
    const created = midnight + DAY_MS + intFor(`${key}|sync`, 5, 11) * HOUR_MS;
    const revision = revisionOf(id);
    if (revision) revise(kind, doc, revision.count);
    docs.push({
      id,
      user_id: user.userId,
      calendar_date: day,
      ...doc,
      source: sourceOf(source),
      created_at: iso(created),
      updated_at: iso(revision ? Math.max(revision.at.getTime(), created) : created),
    });
  }
  return docs;
}

type Builder = (
  key: string,
  user: SandboxUser,
  source: string,
  day: string,
) => Record<string, unknown> | null;

const BUILDERS: Record<JunctionSummaryKind, Builder> = {
  sleep(key, user, _source, day) {
    const offsetMs = user.offsetSeconds * 1000;
    // Local bedtime 22:00-00:30 the evening before the wake-up day (calendar_date).
    const bedLocal = Date.parse(`${day}T00:00:00Z`) - 2 * HOUR_MS + intFor(`${key}|bed`, 0, 150) * 60_000;
    const start = bedLocal - offsetMs;
    const duration = intFor(`${key}|dur`, 390, 530) * 60;
    const awake = intFor(`${key}|awake`, 600, 3_000);
    const asleep = duration - awake;
    const deep = round(asleep * numberFor(`${key}|deep`, 0.13, 0.23));
    const rem = round(asleep * numberFor(`${key}|rem`, 0.18, 0.26));
    return {
      date: `${day}T00:00:00+00:00`,
      bedtime_start: iso(start),
      bedtime_stop: iso(start + duration * 1000),
      type: 'long_sleep',
      timezone_offset: user.offsetSeconds,
      duration,
      total: asleep,
      awake,
      light: asleep - deep - rem,
      rem,
      deep,
      score: intFor(`${key}|score`, 58, 92),
      hr_lowest: intFor(`${key}|hrlow`, 44, 55),
      hr_average: intFor(`${key}|hravg`, 52, 64),
      efficiency: round(asleep / duration, 2),
      latency: intFor(`${key}|lat`, 240, 1_500),
      average_hrv: round(numberFor(`${key}|hrv`, 35, 85), 1),
      respiratory_rate: round(numberFor(`${key}|rr`, 12.5, 16), 1),
      temperature_delta: round(numberFor(`${key}|temp`, -0.5, 0.5), 2),
      state: 'confirmed',
    };
  },
  activity(key, user, _source, day) {
    const steps = intFor(`${key}|steps`, 3_500, 16_000);
    return {
      date: `${day}T00:00:00+00:00`,
      timezone_offset: user.offsetSeconds,
      time_zone: null,
      steps,
      distance: round(steps * 0.76),
      calories_active: round(steps * 0.045 + numberFor(`${key}|cal`, 50, 250)),
      calories_total: round(1_700 + steps * 0.045 + numberFor(`${key}|cal`, 50, 250)),
      floors_climbed: intFor(`${key}|floors`, 0, 25),
      low: intFor(`${key}|low`, 120, 300),
      medium: intFor(`${key}|med`, 20, 90),
      high: intFor(`${key}|high`, 0, 45),
      heart_rate: { resting_bpm: intFor(`${key}|rest`, 48, 62), avg_bpm: intFor(`${key}|avg`, 65, 82) },
    };
  },
  workouts(key, user, source, day) {
    if (!chanceFor(`${key}|has`, 0.45)) return null;
    const sport = pickFor(`${key}|sport`, [
      { id: 1, name: 'Running', slug: 'running' },
      { id: 2, name: 'Cycling', slug: 'cycling' },
      { id: 3, name: 'Strength Training', slug: 'strength_training' },
    ]);
    const startLocal = Date.parse(`${day}T00:00:00Z`) + intFor(`${key}|at`, 6 * 60, 19 * 60) * 60_000;
    const start = startLocal - user.offsetSeconds * 1000;
    const minutes = intFor(`${key}|min`, 25, 95);
    return {
      title: sport.name,
      timezone_offset: user.offsetSeconds,
      time_start: iso(start),
      time_end: iso(start + minutes * 60_000),
      sport,
      calories: round(minutes * numberFor(`${key}|kcal`, 7, 12)),
      average_hr: intFor(`${key}|avghr`, 118, 156),
      max_hr: intFor(`${key}|maxhr`, 160, 188),
      distance:
        sport.slug === 'strength_training' ? null : round(minutes * numberFor(`${key}|pace`, 150, 420)),
      moving_time: minutes * 60,
      provider_id: `${source}-${intFor(`${key}|pid`, 100_000, 999_999)}`,
    };
  },
  body(key, user, _source, day) {
    if (!chanceFor(`${key}|weighed`, 0.4)) return null;
    const base = 58 + 25 * numberFor(`${user.name}|weight`, 0, 1);
    return {
      date: `${day}T00:00:00+00:00`,
      timezone_offset: user.offsetSeconds,
      weight: round(base + numberFor(`${key}|w`, -1.2, 1.2), 1),
      fat: round(numberFor(`${user.name}|fat`, 14, 30) + numberFor(`${key}|f`, -0.8, 0.8), 1),
    };
  },
};

/** A revision changes values the way a re-sync or re-score does. */
function revise(kind: JunctionSummaryKind, doc: Record<string, unknown>, count: number) {
  const bump = (field: string, by: number) => {
    if (typeof doc[field] === 'number') doc[field] = round((doc[field] as number) + by, 1);
  };
  if (kind === 'sleep') bump('score', count);
  if (kind === 'activity') bump('steps', 100 * count);
  if (kind === 'workouts') bump('calories', 10 * count);
  if (kind === 'body') bump('weight', 0.1 * count);
}

/** Heart-rate samples of one source in [start, end] (inclusive), every 10 minutes. */
export function heartRateSamples(
  seed: string,
  user: SandboxUser,
  source: string,
  fromMs: number,
  toMs: number,
) {
  const samples: Record<string, unknown>[] = [];
  const first = Math.ceil(fromMs / HEART_RATE_STEP_MS) * HEART_RATE_STEP_MS;
  for (let at = first; at <= toMs; at += HEART_RATE_STEP_MS) {
    const localHour = new Date(at + user.offsetSeconds * 1000).getUTCHours();
    const base = localHour < 7 || localHour >= 23 ? 54 : 72;
    samples.push({
      timestamp: iso(at),
      value: base + intFor(`${seed}|${user.name}|hr|${source}|${at}`, -6, 14),
      unit: 'bpm',
      timezone_offset: user.offsetSeconds,
      type: null,
    });
  }
  return samples;
}

/** Junction's ClientFacingUser. */
export function userDocument(user: SandboxUser, createdOn: string) {
  const providers = new Set(Object.values(user.sources).flat());
  return {
    user_id: user.userId,
    team_id: TEAM_ID,
    client_user_id: user.name,
    created_on: createdOn,
    connected_sources: [...providers].map((slug) => ({
      provider: { name: slug, slug, logo: '' },
      created_on: createdOn,
    })),
    fallback_time_zone: null,
    fallback_birth_date: null,
    ingestion_start: null,
    ingestion_end: null,
  };
}
