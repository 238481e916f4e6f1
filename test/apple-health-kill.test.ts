// An Apple Health import whose worker process is SIGKILLed twice mid-file: the retried activity
// resumes from the committed byte offset (not from the start), and the end result is exactly the
// one an uninterrupted import of the same file gives.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importProgressLine, latestImportProgress, runningSliceHeartbeat } from '../cli/import.ts';
import type { ImportWorkflowProgress } from '../workflows/import-apple-health.ts';
import type { ExportStats } from './support/apple-export/generate.ts';
import { writeExportZip } from './support/apple-export/write.ts';
import { fingerprint, runImport, startImport } from './support/apple-import.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { createTestTemporal, type TestTemporal } from './support/temporal.ts';
import { spawnWorkerProcess, type WorkerProcess, waitUntil } from './support/worker-process.ts';

let db: TestDatabase;
let temporal: TestTemporal;
let dir: string;
let zipPath: string;
let stats: ExportStats;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  temporal = await createTestTemporal({ databaseUrl: db.url });
  dir = await mkdtemp(join(tmpdir(), 'wearhouse-apple-kill-'));
  zipPath = join(dir, 'export.zip');
  stats = await writeExportZip(zipPath, { targetBytes: 20e6, seed: 11, badRecords: 5 });
});

afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await temporal?.close();
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ledger(userId: string) {
  const [row] = await db.sql<
    { byte_offset: number; xml_bytes: number | null; attempts: number; status: string }[]
  >`
    select byte_offset::float8 as byte_offset, xml_bytes::float8 as xml_bytes, attempts, status
    from file_imports where user_id = ${userId}`;
  return row;
}

/** --follow mid-slice: the workflow has no progress yet (its one slice is running), the slice's
 * heartbeat has, and that is what --follow draws (cli/import.ts). */
async function expectFollowShowsTheRunningSlice(handle: WorkflowHandle) {
  const fromWorkflow = await handle.query<ImportWorkflowProgress | null>('progress');
  expect(fromWorkflow).toBeNull();
  let shown: ImportWorkflowProgress | null = null;
  await waitUntil(
    'a heartbeat past the start',
    async () => {
      const { heartbeat } = await runningSliceHeartbeat(handle);
      shown = latestImportProgress(fromWorkflow, heartbeat, {
        userId: 'kim',
        path: zipPath,
        elapsedSeconds: 10,
      });
      return (shown?.bytesDone ?? 0) > 0;
    },
    30_000,
  );
  const progress = shown as ImportWorkflowProgress | null;
  expect(progress?.bytesDone).toBeGreaterThan(0);
  expect(progress?.bytesTotal).toBeGreaterThan(progress?.bytesDone ?? 0);
  expect(progress?.etaSeconds).toBeGreaterThan(0);
  expect(importProgressLine(progress as ImportWorkflowProgress)).toMatch(/\d+% · [\d.]+\/[\d.]+ MB/);
}

describe('Apple Health import with its worker killed mid-file', () => {
  it('resumes near where it stopped and ends exactly like an uninterrupted import', async () => {
    const options = { batchElements: 2_000, sliceSeconds: 600, heartbeatTimeoutSeconds: 2 };
    // The reference: the same file imported without interruption (in-process worker).
    const inProcess = await temporal.startWorker();
    const reference = await runImport(temporal.client, temporal.config.TEMPORAL_TASK_QUEUE, {
      userId: 'ref',
      path: zipPath,
      options,
    });
    await inProcess.shutdown();
    expect(reference.done).toBe(true);

    const spawn = () => {
      const w = spawnWorkerProcess(temporal, db.url);
      workers.push(w);
      return w;
    };
    let worker = spawn();
    const handle = await startImport(temporal.client, temporal.config.TEMPORAL_TASK_QUEUE, {
      userId: 'kim',
      path: zipPath,
      options,
    });
    const killedAt: number[] = [];
    for (const fraction of [0.25, 0.6]) {
      await waitUntil(
        `${fraction * 100}% committed`,
        async () => {
          const row = await ledger('kim');
          return !!row?.xml_bytes && row.byte_offset >= row.xml_bytes * fraction;
        },
        120_000,
      );
      const row = await ledger('kim');
      expect(row?.status).toBe('running');
      if (killedAt.length === 0) await expectFollowShowsTheRunningSlice(handle);
      await worker.kill('SIGKILL');
      expect(worker.child.signalCode).toBe('SIGKILL');
      killedAt.push(row?.byte_offset ?? 0);
      worker = spawn();
      // The next attempt says where it starts: at least where the killed one had committed.
      await waitUntil(
        'the retried slice to start',
        async () => /"msg":"import slice starts"/.test(worker.output.join('')),
        60_000,
      );
      const from = Number(/"fromByte":(\d+)/.exec(worker.output.join(''))?.[1]);
      expect(from).toBeGreaterThanOrEqual(row?.byte_offset ?? Number.POSITIVE_INFINITY);
    }
    const result = await handle.result();
    expect(result.done).toBe(true);
    expect(killedAt[0]).toBeGreaterThan(0);

    // Exactly the same records (content, times, offsets, days, sources) as the uninterrupted import,
    // each inserted once across every attempt, and the same counts.
    const [kim, ref] = [await fingerprint(db.sql, 'kim'), await fingerprint(db.sql, 'ref')];
    expect(kim.length).toBe(ref.length);
    expect(kim).toEqual(ref);
    expect(kim.length).toBe(Object.values(stats.kinds).reduce((a, b) => a + b, 0) + 1);
    expect(result.inserted).toBe(kim.length);
    expect(result.inserted).toBe(reference.inserted);
    expect(result.records).toBe(reference.records);
    expect(result.quarantined).toBe(reference.quarantined);
    expect(result.duplicates).toBe(reference.duplicates);
    expect((await ledger('kim'))?.attempts).toBeGreaterThanOrEqual(3);
    const [q] = await db.sql<{ kim: number; ref: number }[]>`
      select count(*) filter (where user_id = 'kim')::int as kim, count(*) filter (where user_id = 'ref')::int as ref
      from quarantine where provider = 'apple_health'`;
    expect(q?.kim).toBe(stats.quarantined);
    expect(q?.ref).toBe(stats.quarantined);
  }, 400_000);
});
