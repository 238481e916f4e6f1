// What the across-user and per-key stored rows of sql/120-129 add to the pipeline's write path: the
// bench/write-path.ts pages (25 changed records of one user, each upserted in its own transaction),
// alternating three settings on the same data in the same process: every records trigger off; the
// triggers as before sql/120 (the new tables' triggers disabled, sql/093's across-user sums without
// the bucket lock's table kept); and everything on. The ratios are the figures.
// `node --import tsx bench/write-path-across.ts <database url> <user> [pages]` against a database
// loaded as the dashboards bench loads it (bench/dashboard-data.ts).
import { writeFile } from 'node:fs/promises';
import type { MappedRecord } from '../providers/types.ts';
import { connect } from '../store/db.ts';
import { upsertRecords } from '../store/records.ts';
import { percentile } from './stats.ts';

/** The triggers sql/120-129 added on tables the records trigger writes through. */
const ADDED = [
  ['records', 'records_kind_latest_insert'],
  ['records', 'records_kind_latest_update'],
  ['records', 'records_kind_latest_delete'],
  ['sleeps_stored', 'sleeps_stored_nights_insert'],
  ['sleeps_stored', 'sleeps_stored_nights_delete'],
  ['workouts_stored', 'workouts_stored_days_insert'],
  ['workouts_stored', 'workouts_stored_days_delete'],
  ['recoveries_stored', 'recoveries_stored_months_insert'],
  ['recoveries_stored', 'recoveries_stored_months_delete'],
  ['daily_health_by_source_rollup', 'sleep_source_months_insert'],
  ['daily_health_by_source_rollup', 'sleep_source_months_update'],
  ['daily_health_by_source_rollup', 'sleep_source_months_delete'],
  ['daily_health_by_source_rollup', 'by_source_across_insert'],
  ['daily_health_by_source_rollup', 'by_source_across_update'],
  ['daily_health_by_source_rollup', 'by_source_across_delete'],
  ['daily_health_rollup', 'daily_health_across_insert'],
  ['daily_health_rollup', 'daily_health_across_update'],
  ['daily_health_rollup', 'daily_health_across_delete'],
] as const;

const [url, userId, pagesArg] = process.argv.slice(2);
if (!url || !userId) throw new Error('usage: write-path-across.ts <database url> <user> [pages]');
const pages = Number(pagesArg ?? 20);
const sql = connect(url, { max: 1, applicationName: 'bench-write-path-across' });
const rows = await sql<
  {
    kind: string;
    source_id: string;
    start_at: Date | null;
    end_at: Date | null;
    tz_offset: string | null;
    local_day: Date | null;
    payload: Record<string, unknown>;
    provider: string;
  }[]
>`select kind, source_id, start_at, end_at, tz_offset, local_day, payload, provider from records
  where user_id = ${userId} and kind in ('cycle', 'sleep', 'workout') and deleted_at is null
  order by start_at desc limit ${pages * 25}`;
const provider = rows[0]?.provider as string;
let revision = 0;
const page = (i: number): MappedRecord[] =>
  rows.slice(i * 25, i * 25 + 25).map((r) => ({
    kind: r.kind,
    sourceId: r.source_id,
    startAt: r.start_at,
    endAt: r.end_at,
    tzOffset: r.tz_offset,
    localDay: r.local_day ? r.local_day.toISOString().slice(0, 10) : null,
    providerUpdatedAt: new Date(),
    payload: { ...r.payload, bench_revision: ++revision },
  }));
type Setting = 'none' | 'before' | 'all';
async function set(setting: Setting): Promise<void> {
  await sql.unsafe(`alter table records ${setting === 'none' ? 'disable' : 'enable'} trigger user`);
  for (const [table, trigger] of ADDED)
    await sql.unsafe(`alter table ${table} ${setting === 'all' ? 'enable' : 'disable'} trigger ${trigger}`);
}
const times: Record<Setting, number[]> = { none: [], before: [], all: [] };
const settings: Setting[] = ['none', 'before', 'all'];
try {
  for (let i = 0; i < pages; i++) {
    const records = page(i);
    // Rotate which goes first, so no setting always finds the pages cached.
    for (let k = 0; k < 3; k++) {
      const setting = settings[(i + k) % 3] as Setting;
      await set(setting);
      const t = performance.now();
      await sql.begin((tx) =>
        upsertRecords(
          tx,
          provider,
          userId,
          records.map((r) => ({ ...r, payload: { ...r.payload, bench_revision: ++revision } })),
        ),
      );
      times[setting].push(performance.now() - t);
    }
  }
} finally {
  await set('all');
}
const median = (s: Setting) => percentile(times[s], 50);
const result = {
  user: userId,
  pages,
  medianMs: {
    withoutTriggers: median('none'),
    beforeSql120: median('before'),
    withSql120on: median('all'),
  },
  ratios: {
    beforeSql120: median('before') / median('none'),
    withSql120on: median('all') / median('none'),
    added: median('all') / median('before'),
  },
};
console.log(JSON.stringify(result, null, 2));
if (process.argv[5]) await writeFile(process.argv[5], `${JSON.stringify(result, null, 2)}\n`);
await sql.end();
