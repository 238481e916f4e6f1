// One sandbox user's Oura data: days generated on first use from (seed, user, day) alone, with the
// ring left off on some days (and for a few days now and then), plus what changed after the fact
// (mutated and deleted documents). Documents are sorted by (day, start, id) for stable keyset paging.
import { hash01, Rng } from '../../sandbox-kit/prng.ts';
import { DAY_MS, isoDayOf, localDayNumber, localized, localMs } from './clock.ts';
import { buildDailyActivity, buildDailyStress, buildSession, buildWorkout } from './generate-activity.ts';
import {
  buildDailyReadiness,
  buildDailySleep,
  buildDailySpo2,
  buildNap,
  buildNight,
} from './generate-sleep.ts';
import type { DailyDocumentKind } from './types.ts';

type Doc = Record<string, unknown>;
type DayDocs = Record<DailyDocumentKind, Doc[]>;

const OFFSETS = [120, 60, 0, -300, -420, 330, 540, -180];
const SLOT_MS = 300_000;

export interface HeartRateRow {
  timestamp: string;
  timestamp_unix: number;
  bpm: number;
  source: string;
}

export class UserData {
  readonly offsetMinutes: number;
  readonly ouraUserId: string;
  readonly personalInfo: Doc;
  readonly firstDay: number;
  subscriptionActive = true;
  private readonly days = new Map<number, DayDocs>();
  private readonly overrides = new Map<string, Doc>();
  private readonly deleted = new Set<string>();
  private readonly mutations = new Map<string, number>();

  constructor(
    private readonly seed: string,
    readonly key: string,
    createdAtMs: number,
    historyDays: number,
  ) {
    const rng = new Rng(`${seed}|${key}|profile`);
    this.offsetMinutes = rng.pick(OFFSETS);
    this.ouraUserId = rng.uuid();
    this.firstDay = localDayNumber(createdAtMs, this.offsetMinutes) - historyDays;
    this.personalInfo = {
      id: this.ouraUserId,
      age: rng.int(22, 64),
      weight: Math.round(rng.normal(72, 10) * 10) / 10,
      height: Math.round(rng.normal(1.74, 0.08) * 100) / 100,
      biological_sex: rng.pick(['female', 'male']),
      email: `${key}@example.com`,
    };
  }

  /** The wearer's calendar day now. */
  today(nowMs: number): number {
    return localDayNumber(nowMs, this.offsetMinutes);
  }

  /** False on days the ring was not worn: a day here and there, and a short stretch every few weeks. */
  worn(day: number): boolean {
    if (hash01(`${this.seed}|${this.key}|off|${day}`) < 0.03) return false;
    const block = Math.floor(day / 40);
    if (hash01(`${this.seed}|${this.key}|gap|${block}`) >= 0.5) return true;
    const gapStart = block * 40 + Math.floor(hash01(`${this.seed}|${this.key}|gap-at|${block}`) * 30);
    const gapLength = 2 + Math.floor(hash01(`${this.seed}|${this.key}|gap-len|${block}`) * 3);
    return day < gapStart || day >= gapStart + gapLength;
  }

  /** Documents of `kind` with day in [fromDay, toDay] (inclusive), limited to the days that exist. */
  documents(kind: DailyDocumentKind, fromDay: number, toDay: number, nowMs: number): Doc[] {
    const out: Doc[] = [];
    const last = Math.min(toDay, this.today(nowMs));
    for (let day = Math.max(fromDay, this.firstDay); day <= last; day++) {
      for (const doc of this.day(day)[kind]) {
        const key = `${kind}|${String(doc.id)}`;
        if (this.deleted.has(key)) continue;
        out.push(this.overrides.get(key) ?? doc);
      }
    }
    return out;
  }

  /** Changes every document of `kind` on `day` as Oura does after the fact; returns their ids. */
  mutate(kind: DailyDocumentKind, day: number): string[] {
    const ids: string[] = [];
    for (const doc of this.day(day)[kind]) {
      const key = `${kind}|${String(doc.id)}`;
      if (this.deleted.has(key)) continue;
      const generation = (this.mutations.get(key) ?? 0) + 1;
      this.mutations.set(key, generation);
      this.overrides.set(key, changed(structuredClone(this.overrides.get(key) ?? doc), generation));
      ids.push(String(doc.id));
    }
    return ids;
  }

  deleteDocuments(kind: DailyDocumentKind, day: number): string[] {
    const ids: string[] = [];
    for (const doc of this.day(day)[kind]) {
      const key = `${kind}|${String(doc.id)}`;
      if (this.deleted.has(key)) continue;
      this.deleted.add(key);
      ids.push(String(doc.id));
    }
    return ids;
  }

  /** Heart-rate samples every 5 minutes in [startMs, endMs) while the ring was worn, from `afterMs` on. */
  heartrate(
    startMs: number,
    endMs: number,
    nowMs: number,
    limit: number,
  ): { rows: HeartRateRow[]; nextMs?: number } {
    const rows: HeartRateRow[] = [];
    const stop = Math.min(endMs, nowMs);
    let t = Math.ceil(startMs / SLOT_MS) * SLOT_MS;
    for (; t < stop && rows.length < limit; t += SLOT_MS) {
      const day = localDayNumber(t, this.offsetMinutes);
      if (day < this.firstDay || !this.worn(day)) continue;
      const rng = new Rng(`${this.seed}|${this.key}|hr|${t}`);
      if (rng.chance(0.02)) continue; // a sample lost here and there
      const hour = ((t + this.offsetMinutes * 60_000) % DAY_MS) / 3_600_000;
      const asleep = hour >= 23 || hour < 7;
      rows.push({
        timestamp: new Date(t).toISOString().replace('.000Z', '+00:00'),
        timestamp_unix: t,
        bpm: Math.max(38, Math.round(asleep ? rng.normal(54, 4) : rng.normal(74, 10))),
        source: asleep ? 'sleep' : 'awake',
      });
    }
    return { rows, nextMs: t < stop ? t : undefined };
  }

  private day(day: number): DayDocs {
    let docs = this.days.get(day);
    if (!docs) {
      docs = this.generate(day);
      this.days.set(day, docs);
    }
    return docs;
  }

  private generate(dayNumber: number): DayDocs {
    const day = isoDayOf(dayNumber);
    const offset = this.offsetMinutes;
    const rng = new Rng(`${this.seed}|${this.key}|day|${dayNumber}`);
    const id = (kind: string, n = 0) =>
      new Rng(`${this.seed}|${this.key}|id|${kind}|${dayNumber}|${n}`).uuid();
    const worn = this.worn(dayNumber);
    const docs: DayDocs = {
      daily_sleep: [],
      sleep: [],
      daily_readiness: [],
      daily_activity: [buildDailyActivity(rng, id('daily_activity'), day, dayNumber, offset, worn)],
      workout: [],
      session: [],
      daily_spo2: [],
      daily_stress: [],
    };
    if (!worn) return docs;
    const midnight = localized(localMs(dayNumber, 0, offset), offset);
    const night = buildNight(rng, id('sleep'), day, dayNumber, offset);
    docs.sleep.push(night.sleep);
    if (rng.chance(0.12)) docs.sleep.push(buildNap(rng, id('sleep', 1), day, dayNumber, offset, 'sleep'));
    if (rng.chance(0.03)) docs.sleep.push(buildNap(rng, id('sleep', 2), day, dayNumber, offset, 'rest'));
    docs.daily_sleep.push(buildDailySleep(rng, id('daily_sleep'), day, night, midnight));
    docs.daily_readiness.push(buildDailyReadiness(rng, id('daily_readiness'), day, night, midnight));
    docs.daily_spo2.push(buildDailySpo2(rng, id('daily_spo2'), day));
    docs.daily_stress.push(buildDailyStress(rng, id('daily_stress'), day));
    const workouts = rng.chance(0.35) ? (rng.chance(0.15) ? 2 : 1) : 0;
    for (let n = 0; n < workouts; n++)
      docs.workout.push(buildWorkout(rng, id('workout', n), day, dayNumber, offset));
    if (rng.chance(0.15)) docs.session.push(buildSession(rng, id('session'), day, dayNumber, offset));
    for (const kind of Object.keys(docs) as DailyDocumentKind[]) docs[kind].sort(byStart);
    return docs;
  }
}

function byStart(a: Doc, b: Doc): number {
  return sortKey(a).localeCompare(sortKey(b));
}

/** Orders documents by day, then start, then id: the keyset of the page cursor. */
export function sortKey(doc: Doc): string {
  const start = doc.bedtime_start ?? doc.start_datetime ?? doc.timestamp ?? '';
  const startMs = typeof start === 'string' && start ? Date.parse(start) : 0;
  return `${String(doc.day)}|${String(startMs).padStart(15, '0')}|${String(doc.id)}`;
}

/** A later version of a document: what Oura recomputes when a late sync or an edit arrives. */
function changed(doc: Doc, generation: number): Doc {
  // Always a different score, never out of [1, 100].
  if (typeof doc.score === 'number') doc.score += (doc.score >= 97 ? -2 : 2) - (generation % 2);
  if ('bedtime_end' in doc && typeof doc.bedtime_end === 'string') {
    doc.sleep_analysis_reason = 'bedtime_edit';
    doc.time_in_bed = Number(doc.time_in_bed) + 300;
    doc.awake_time = Number(doc.awake_time ?? 0) + 300;
    const offset = doc.bedtime_end.slice(19);
    const minutes =
      (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
    doc.bedtime_end = localized(Date.parse(doc.bedtime_end) + 300_000, minutes);
  }
  if (typeof doc.calories === 'number') doc.calories = Math.round((doc.calories + 12.5) * 10) / 10;
  if (typeof doc.stress_high === 'number') doc.stress_high += 900;
  if (typeof doc.breathing_disturbance_index === 'number') doc.breathing_disturbance_index += 1;
  if ('mood' in doc) doc.mood = generation % 2 ? 'great' : 'good';
  if (typeof doc.steps === 'number') doc.steps += 250;
  return doc;
}
