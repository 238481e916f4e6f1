// Apple Health export import end to end: the workflow on a real worker, real Postgres, generated
// exports (zip with a localized name, bare XML) and the hand-written fixture; re-import adds nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportStats } from './support/apple-export/generate.ts';
import { writeExportXml, writeExportZip } from './support/apple-export/write.ts';
import { fingerprint, runImport, startImport, storedKinds } from './support/apple-import.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { createTestTemporal, type TestTemporal } from './support/temporal.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/apple-health/eksport.xml', import.meta.url));

let db: TestDatabase;
let temporal: TestTemporal;
let dir: string;
let zipPath: string;
let zipStats: ExportStats;

beforeAll(async () => {
  db = await createTestDatabase();
  temporal = await createTestTemporal({ databaseUrl: db.url });
  await temporal.startWorker();
  dir = await mkdtemp(join(tmpdir(), 'wearhouse-apple-'));
  zipPath = join(dir, 'export.zip');
  zipStats = await writeExportZip(zipPath, { days: 30, badRecords: 3, seed: 7 }, { xmlName: 'eksport.xml' });
});

afterAll(async () => {
  await temporal?.close();
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const taskQueue = () => temporal.config.TEMPORAL_TASK_QUEUE;

function expectedKinds(stats: ExportStats): Record<string, number> {
  // The generator counts what it wrote; the export's own ExportDate element is kept as a record too.
  return { ...stats.kinds, export_date: 1 };
}

describe('importAppleHealth on a generated export.zip (localized name, routes, quirks)', () => {
  it('stores every distinct record once, quarantines the bad ones, and reports it all', async () => {
    const result = await runImport(temporal.client, taskQueue(), {
      userId: 'ana',
      path: zipPath,
      options: { batchElements: 700, sliceSeconds: 2 },
    });
    expect(result.done).toBe(true);
    expect(result.xmlName).toBe('apple_health_export/eksport.xml');
    expect(result.container).toBe('zip');
    expect(result.bytesDone).toBeGreaterThan(0);
    expect(result.bytesDone).toBeLessThanOrEqual(result.bytesTotal ?? 0);
    expect(await storedKinds(db.sql, 'ana')).toEqual(expectedKinds(zipStats));
    const stored = Object.values(expectedKinds(zipStats)).reduce((a, b) => a + b, 0);
    expect(result.inserted).toBe(stored);
    expect(result.quarantined).toBe(zipStats.quarantined);
    expect(result.routes).toBe(zipStats.routes.size);
    expect(result.duplicates).toBeGreaterThanOrEqual(zipStats.exactDuplicates);

    const [q] = await db.sql<{ n: number; reasons: string[] }[]>`
      select count(*)::int as n, array_agg(distinct split_part(reason, ' ', 2)) as reasons
      from quarantine where provider = 'apple_health' and user_id = 'ana'`;
    expect(q?.n).toBe(zipStats.quarantined);
    expect(q?.reasons.sort()).toEqual(['startDate', 'value']);

    const [samples] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from samples where user_id = 'ana'`;
    expect(samples?.n).toBe(zipStats.quantityRecords);

    // No forbidden control characters survive; the names they were in are kept (as spaces).
    const [control] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from records where user_id = 'ana' and payload::text ~ '\\u000b'`;
    expect(control?.n).toBe(0);
    const sources = await db.sql<{ source: string }[]>`
      select distinct source from records where user_id = 'ana' and source is not null order by 1`;
    expect(sources.map((s) => s.source)).toContain('Some App');

    // Routes carry their GPX points; steps per day match the generator's (largest source).
    const [route] = await db.sql<{ points: number; workout: boolean }[]>`
      select jsonb_array_length(r.payload -> 'points')::int as points,
             exists (select 1 from records w where w.kind = 'workout' and w.user_id = r.user_id
                      and w.source_id = r.payload ->> 'workout_source_id') as workout
      from records r where r.user_id = 'ana' and r.kind = 'workout_route' limit 1`;
    expect(route?.points).toBeGreaterThan(20);
    expect(route?.workout).toBe(true);
    const daily = await db.sql<{ day: string; steps: number }[]>`
      select day::text, steps from apple_health_daily where user_id = 'ana' and steps is not null`;
    expect(daily.length).toBe(zipStats.stepsByDay.size);
    for (const d of daily) expect(d.steps, d.day).toBe(zipStats.stepsByDay.get(d.day));

    const [ledger] = await db.sql<
      { status: string; records: number; byte_offset: number; xml_bytes: number }[]
    >`
      select status, records::int, byte_offset::int, xml_bytes::int from file_imports where user_id = 'ana'`;
    expect(ledger?.status).toBe('completed');
    expect(ledger?.byte_offset).toBeLessThanOrEqual(ledger?.xml_bytes ?? 0);

    // The import defers the stored daily rows per batch and refreshes them when it ends: once done,
    // they are exactly the live aggregate, and nothing is left marked.
    const dailyRows = await db.sql`select * from daily_summary_rollup where user_id = 'ana'`;
    const onlyStored = await db.sql`
      select * from daily_summary_rollup where user_id = 'ana'
      except all select * from daily_summary_live where user_id = 'ana'`;
    const onlyLive = await db.sql`
      select * from daily_summary_live where user_id = 'ana'
      except all select * from daily_summary_rollup where user_id = 'ana'`;
    expect(dailyRows.length).toBeGreaterThan(0);
    expect([onlyStored.length, onlyLive.length]).toEqual([0, 0]);
    const [dirty] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from daily_summary_dirty where user_id = 'ana'`;
    expect(dirty?.n).toBe(0);
  });

  it('a re-import of the same file inserts nothing and changes nothing', async () => {
    const before = await fingerprint(db.sql, 'ana');
    const again = await runImport(temporal.client, taskQueue(), { userId: 'ana', path: zipPath });
    expect(again.done).toBe(true);
    expect(again.inserted).toBe(0);
    expect(again.updated).toBe(0);
    expect(again.unchanged).toBe(before.length);
    expect(await fingerprint(db.sql, 'ana')).toEqual(before);
  });

  it('an overlapping newer export (the bare XML, more days) inserts only the new days', async () => {
    const xmlPath = join(dir, 'export.xml');
    const longer = await writeExportXml(xmlPath, { days: 36, badRecords: 3, seed: 7 });
    const before = await fingerprint(db.sql, 'ana');
    const result = await runImport(temporal.client, taskQueue(), { userId: 'ana', path: xmlPath });
    const after = await fingerprint(db.sql, 'ana');
    // Routes are only in the zip; the bare XML brings none.
    const zipOnly = zipStats.routes.size;
    const expectedTotal =
      Object.values(expectedKinds(longer)).reduce((a, b) => a + b, 0) - (longer.kinds.workout_route ?? 0);
    // Plus the first export's own ExportDate record.
    expect(after.length).toBe(expectedTotal + zipOnly + 1);
    // The first 30 days are the same records: everything stored before is still there unchanged,
    // except the export date (one per export) and the Me record are only added/kept once.
    for (const f of before) expect(after).toContain(f);
    expect(result.inserted).toBe(after.length - before.length);
  });
});

describe('a cancelled import', () => {
  it('says so in the ledger and shows the days of the batches it committed', async () => {
    const path = join(dir, 'cancelled.xml');
    await writeExportXml(path, { seed: 11, days: 120, heartRatePerDay: 1000 });
    // Small batches so the first ones commit long before the file ends.
    const handle = await startImport(temporal.client, taskQueue(), {
      userId: 'cora',
      path,
      options: { batchElements: 100 },
    });
    const committed = async () => {
      const [row] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from records where user_id = 'cora'`;
      return row?.n ?? 0;
    };
    for (let i = 0; i < 600 && (await committed()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await committed()).toBeGreaterThan(0);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    // The ledger and the stored daily rows settle once the non-cancellable clean-up has run.
    let ledger: { status: string; error: string | null } | undefined;
    for (let i = 0; i < 300; i++) {
      [ledger] = await db.sql<{ status: string; error: string | null }[]>`
        select status, error from file_imports where user_id = 'cora'`;
      if (ledger?.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ledger).toEqual({ status: 'failed', error: 'cancelled' });
    const [days] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from daily_summary_rollup where user_id = 'cora'`;
    expect(days?.n).toBeGreaterThan(0);
  });
});

describe('importAppleHealth on the hand-written export', () => {
  it('maps each element as written (counted by hand)', async () => {
    const result = await runImport(temporal.client, taskQueue(), { userId: 'jonas', path: FIXTURE });
    expect(result.done).toBe(true);
    expect(await storedKinds(db.sql, 'jonas')).toEqual({
      // 2 heart rates, 2 step counts (a third is an exact duplicate), 1 HRV, 4 sleep stages, 2 blood
      // pressures (also inside the correlation: stored once).
      record: 11,
      correlation: 1,
      workout: 1,
      activity_summary: 1,
      me: 1,
      audiogram: 1,
      export_date: 1,
    });
    expect(result.quarantined).toBe(2);
    expect(result.duplicates).toBeGreaterThanOrEqual(3);

    const [hr] = await db.sql<
      { start_at: Date; tz_offset: string; local_day: string; source: string; value: number }[]
    >`select start_at, tz_offset, local_day::text, source, (payload ->> 'value')::float8 as value
      from records where user_id = 'jonas' and payload ->> 'type' = 'HKQuantityTypeIdentifierHeartRate'
      order by start_at limit 1`;
    // "2024-03-03 23:55:02 +0100": 22:55:02Z, local day the 3rd (not the UTC day).
    expect(hr?.start_at.toISOString()).toBe('2024-03-03T22:55:02.000Z');
    expect(hr?.tz_offset).toBe('+01:00');
    expect(hr?.local_day).toBe('2024-03-03');
    expect(hr?.source).toBe('Jonas’ Apple Watch');
    expect(hr?.value).toBe(58);

    const [hrv] = await db.sql<{ beats: { bpm: number; time: string }[] }[]>`
      select payload -> 'beats' as beats from records
      where user_id = 'jonas' and payload ->> 'type' = 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN'`;
    expect(hrv?.beats).toEqual([
      { bpm: 57, time: '3:10:59.12 AM' },
      { bpm: 61, time: '3:11:00.10 AM' },
      { bpm: 59, time: '3:11:01.11 AM' },
    ]);

    const [corr] = await db.sql<{ children: number; stored: number }[]>`
      select jsonb_array_length(c.payload -> 'records')::int as children,
        (select count(*)::int from records r where r.user_id = c.user_id and r.kind = 'record'
           and r.source_id in (select x ->> 'source_id' from jsonb_array_elements(c.payload -> 'records') x)) as stored
      from records c where c.user_id = 'jonas' and c.kind = 'correlation'`;
    expect(corr).toEqual({ children: 2, stored: 2 });

    const [workout] = await db.sql<Record<string, unknown>[]>`
      select sport, round(duration_min::numeric, 1)::float8 as duration_min, energy_kcal, distance_m,
             avg_hr_bpm, max_hr_bpm, day::text
      from apple_health_workouts where user_id = 'jonas'`;
    expect(workout).toEqual({
      sport: 'Cycling',
      duration_min: 42.5,
      energy_kcal: 402.5,
      distance_m: 15250,
      avg_hr_bpm: 141,
      max_hr_bpm: 171,
      day: '2024-03-04',
    });

    const [sleep] = await db.sql<Record<string, unknown>[]>`
      select day::text, asleep_h, awake_h, light_h, deep_h, rem_h from apple_health_sleeps where user_id = 'jonas'`;
    // Core 23:40-02:10 (2.5 h), deep 02:10-03:00, REM 03:00-04:00, awake 04:00-04:20.
    expect(sleep).toEqual({
      day: '2024-03-04',
      asleep_h: 2.5 + 50 / 60 + 1,
      awake_h: 20 / 60,
      light_h: 2.5,
      deep_h: 50 / 60,
      rem_h: 1,
    });

    const reasons = await db.sql<{ reason: string }[]>`
      select reason from quarantine where user_id = 'jonas' order by reason`;
    expect(reasons.map((r) => r.reason)).toEqual([
      'unparseable startDate "2024-03-04 7:40 +0100"',
      'unparseable value "81,2"',
    ]);
  });
});
