// Two attempts of the same import running at once (a retry started after a missed heartbeat while the
// old attempt still runs): each batch position is stored by exactly one of them, so the import's
// counts equal those of a single uninterrupted attempt.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImportFileActivities, type ImportProgress } from '../activities/import-file.ts';
import { fileImporters } from '../providers/file-importers.ts';
import { writeExportXml } from './support/apple-export/write.ts';
import { fingerprint } from './support/apple-import.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

let db: TestDatabase;
let dir: string;
let path: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'wearhouse-apple-concurrent-'));
  path = join(dir, 'export.xml');
  await writeExportXml(path, { days: 40, seed: 5, badRecords: 4 });
});

afterAll(async () => {
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const quiet = { child: () => quiet, debug() {}, info() {}, warn() {} };

function attempt(runId: string, userId: string): Promise<ImportProgress> {
  const { importFileSlice } = createImportFileActivities({
    sql: db.sql,
    importers: fileImporters,
    logger: quiet,
  });
  const env = new MockActivityEnvironment({
    workflowExecution: { workflowId: `w-${runId}`, runId },
  } as never);
  return env.run(importFileSlice, { provider: 'apple_health', userId, path, batchElements: 300 });
}

/** Attempts until one reports the import done; returns every failure message on the way. */
async function untilDone(runId: string, userId: string, parallel: number) {
  const failures: string[] = [];
  for (let round = 0; round < 20; round++) {
    const results = await Promise.allSettled(Array.from({ length: parallel }, () => attempt(runId, userId)));
    for (const r of results) if (r.status === 'rejected') failures.push((r.reason as Error).message);
    const done = results.find((r) => r.status === 'fulfilled' && r.value.done);
    if (done?.status === 'fulfilled') return { progress: done.value, failures };
  }
  throw new Error('never done');
}

describe('concurrent attempts of one import', () => {
  it('store each batch once: counts and records equal a single attempt', async () => {
    const single = await untilDone('run-single', 'solo', 1);
    const raced = await untilDone('run-raced', 'duo', 2);
    // The race happened: at least one attempt found its position taken.
    expect(raced.failures.some((m) => /another attempt moved on/.test(m))).toBe(true);
    expect(single.failures).toEqual([]);
    const [solo, duo] = await db.sql<
      { records: number; inserted: number; unchanged: number; quarantined: number }[]
    >`
      select records::int, inserted::int, unchanged::int, quarantined::int
      from file_imports where run_id in ('run-single', 'run-raced') order by run_id desc`;
    expect(duo).toEqual(solo);
    expect(duo?.unchanged).toBe(0);
    expect(await fingerprint(db.sql, 'duo')).toEqual(await fingerprint(db.sql, 'solo'));
  });
});
