// Two workers on one host with the same METRICS_PORT: the first serves /metrics, the second stops at
// once with an error naming METRICS_PORT and the ways out, instead of dying obscurely inside the
// Temporal Runtime; the first keeps running. (METRICS_PORT=0 turns the endpoint off: every other
// worker process in the tests runs so.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../worker/stack/processes.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { createTestTemporal, type TestTemporal } from './support/temporal.ts';
import { spawnWorkerProcess, type WorkerProcess, waitUntil } from './support/worker-process.ts';

let db: TestDatabase;
let temporal: TestTemporal;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  temporal = await createTestTemporal({ databaseUrl: db.url });
});
afterAll(async () => {
  for (const worker of workers) await worker.kill('SIGKILL');
  await temporal?.close();
  await db?.close();
});

describe('METRICS_PORT', () => {
  it('a second worker on a taken port exits with an error naming METRICS_PORT; the first keeps serving', async () => {
    const port = await freePort();
    const env = { METRICS_PORT: String(port) };
    const first = spawnWorkerProcess(temporal, db.url, { env });
    workers.push(first);
    await waitUntil('the first worker serving /metrics', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      return response?.ok ?? false;
    });

    const second = spawnWorkerProcess(temporal, db.url, { env });
    workers.push(second);
    const exitCode = await new Promise<number | null>((resolve) => second.child.once('exit', resolve));
    expect(exitCode).toBe(1);
    const output = second.output.join('');
    expect(output).toContain(`METRICS_PORT: 0.0.0.0:${port} is already in use`);
    expect(output).toContain('set METRICS_PORT=0 to turn its metrics endpoint off');

    expect(first.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).ok).toBe(true);
  }, 60_000);
});
