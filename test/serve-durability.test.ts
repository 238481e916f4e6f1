// Losing nothing: `serve` as a real process (SIGTERM finishes the request in flight; SIGKILL
// mid-body stores nothing half), a batch committed while Temporal is unreachable is normalized by the
// sweeper, a batch the normalizer failed on is replayed after the fix, and the token commands.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, waitFor } from '../worker/stack/processes.ts';
import { normalizeWorkflowId } from '../workflows/normalize-ingest-batch.ts';
import { haeBatch, recordsPerBatch } from './fixtures/health-auto-export.ts';
import { type ServeProcess, type ServeProcessEnv, spawnServeProcess } from './support/serve-process.ts';
import { type ServeStack, startServeStack } from './support/serve-stack.ts';

const run = promisify(execFile);
let stack: ServeStack;
let env: ServeProcessEnv;
let token: string;
const processes: ServeProcess[] = [];

beforeAll(async () => {
  stack = await startServeStack();
  env = {
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: stack.config.TEMPORAL_TASK_QUEUE,
    TOKEN_ENCRYPTION_KEY: stack.temporal.tokenEncryptionKey,
  };
  token = await stack.tokenFor('mia');
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await stack?.close();
});

const cli = (...args: string[]) =>
  run(process.execPath, ['bin/wearhouse.mjs', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });

async function batchState(id: string) {
  const [row] = await stack.db.sql<
    { normalized_at: Date | null; normalize_error: string | null; records: number | null }[]
  >`
    select normalized_at, normalize_error, records from ingest_batches where id = ${id}`;
  return row;
}

const recordCount = async (from: string, to: string) =>
  Number(
    (
      await stack.db
        .sql`select count(*)::int as n from records where provider = 'apple_health' and user_id = 'mia'
        and start_at >= ${from} and start_at < ${to}`
    )[0]?.n,
  );

/** Sends headers and the first half of a body, then waits for `between` before sending the rest. */
function slowPost(url: string, body: string, between: () => Promise<void>) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const target = new URL('/v1/ingest/apple-health', url);
    const req = request(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${token}`,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    between().then(
      () => req.end(body.slice(half)),
      (error: unknown) => req.destroy(error as Error),
    );
  });
}

describe('ingest tokens from the CLI', () => {
  it('create prints a token once (only its hash is stored); revoke makes it 401', async () => {
    const { stdout } = await cli('ingest-token', 'create', '--user', 'nia');
    const created = /ingest token (\d+) for nia[^\n]*\n(whi_\S+)/.exec(stdout);
    expect(created).not.toBeNull();
    const [, id = '', secret = ''] = created ?? [];
    const stored = await stack.db.sql`select user_id, token_hash from ingest_tokens where id = ${id}`;
    expect(JSON.stringify(stored)).not.toContain(secret);
    const post = (t: string) =>
      fetch(`${stack.url}/v1/ingest/apple-health`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
        body: JSON.stringify(haeBatch({ hour: 900, workouts: false })),
      });
    expect((await post(secret)).status).toBe(200);
    const revoked = await cli('ingest-token', 'revoke', '--id', id);
    expect(revoked.stdout).toContain('revoked 1 ingest token');
    expect((await post(secret)).status).toBe(401);
  });
});

describe('a crash between commit and normalization', () => {
  it('a batch committed while Temporal is unreachable is acknowledged, then normalized by the sweeper', async () => {
    const offline = await stack.startAnotherServe({ temporalAddress: '127.0.0.1:1' });
    const response = await fetch(`${offline.url}/v1/ingest/apple-health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(haeBatch({ hour: 300 })),
    });
    expect(response.status).toBe(200);
    const { batchId } = (await response.json()) as { batchId: string };
    expect((await batchState(batchId))?.normalized_at).toBeNull();
    expect((await stack.serve.dispatcher.sweep(0)).batches).toBeGreaterThanOrEqual(1);
    await stack.temporal.client.workflow.getHandle(normalizeWorkflowId(batchId)).result();
    expect((await batchState(batchId))?.records).toBe(recordsPerBatch());
  });
});

describe('replay after a normalizer fix', () => {
  it('a batch the normalizer fails on keeps the reason, is not retried forever, and is replayed once fixed', async () => {
    // A format this build cannot normalize stands in for a normalizer bug.
    const body = Buffer.from(JSON.stringify(haeBatch({ hour: 400 })));
    const [row] = await stack.db.sql<{ id: string }[]>`
      insert into ingest_batches (user_id, provider, format, payload_hash, payload, bytes)
      values ('mia', 'apple_health', 'health_auto_export_v9', encode(sha256(${body}), 'hex'), ${body}, ${body.length})
      returning id::text`;
    const batchId = row?.id ?? '';
    expect((await stack.serve.dispatcher.sweep(0)).batches).toBeGreaterThanOrEqual(1);
    await expect(
      stack.temporal.client.workflow.getHandle(normalizeWorkflowId(batchId)).result(),
    ).rejects.toThrow();
    expect((await batchState(batchId))?.normalize_error).toContain('unknown push format');
    // The sweeper leaves a failed batch alone (it waits for the fix and a replay).
    await stack.serve.dispatcher.sweep(0);
    expect((await batchState(batchId))?.normalized_at).toBeNull();

    // "The fix": this build normalizes what the batch holds.
    await stack.db.sql`update ingest_batches set format = 'health_auto_export' where id = ${batchId}`;
    const { stdout } = await cli('ingest', 'replay', '--batch', batchId);
    expect(stdout).toContain('replaying 1 of 1');
    await waitFor(
      'replayed',
      async () => {
        if (!(await batchState(batchId))?.normalized_at) throw new Error('not yet');
      },
      60_000,
    );
    expect(await batchState(batchId)).toMatchObject({ normalize_error: null, records: recordsPerBatch() });

    // Replaying everything again adds nothing.
    const before = await recordCount('2024-01-01', '2025-01-01');
    await cli('ingest', 'replay', '--all');
    await waitFor(
      'all replayed',
      async () => {
        const [pending] = await stack.db
          .sql`select count(*)::int as n from ingest_batches where normalized_at is null`;
        if (pending?.n !== 0) throw new Error(`${pending?.n} pending`);
      },
      60_000,
    );
    expect(await recordCount('2024-01-01', '2025-01-01')).toBe(before);
  });
});

describe('serve as a process', () => {
  it('SIGTERM lets the request in flight finish (200, stored), then exits 0', async () => {
    const proc = await spawnServeProcess(await freePort(), env);
    processes.push(proc);
    const body = JSON.stringify(haeBatch({ hour: 500, points: 200 }));
    let exitedEarly = false;
    const response = await slowPost(proc.url, body, async () => {
      // The headers and half the body have reached serve: the request is in flight.
      await new Promise((resolve) => setTimeout(resolve, 300));
      proc.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      exitedEarly = proc.child.exitCode !== null;
    }).catch((error: unknown) => {
      throw new Error(
        `${String(error)}: exit ${proc.child.exitCode} ${proc.child.signalCode}: ${proc.output.join('')}`,
      );
    });
    expect(exitedEarly).toBe(false);
    expect(response.text).toContain('batchId');
    expect(response.status).toBe(200);
    const { batchId } = JSON.parse(response.text) as { batchId: string };
    expect(await batchState(batchId)).toBeDefined();
    expect(await proc.exited).toBe(0);
    await expect(fetch(`${proc.url}/health`)).rejects.toThrow();
  });

  it('SIGKILL mid-body stores nothing half; after a restart the re-sent batch is stored once', async () => {
    const port = await freePort();
    const first = await spawnServeProcess(port, env);
    processes.push(first);
    const body = JSON.stringify(haeBatch({ hour: 600, points: 200 }));
    const countBatches = async () =>
      Number(
        (
          await stack.db
            .sql`select count(*)::int as n from ingest_batches where payload_hash = encode(sha256(${Buffer.from(body)}), 'hex')`
        )[0]?.n,
      );
    const killed = await slowPost(first.url, body, async () => {
      await first.kill('SIGKILL');
    }).catch((error: unknown) => error);
    expect(killed).toBeInstanceOf(Error);
    expect(await countBatches()).toBe(0);

    const second = await spawnServeProcess(port, env);
    processes.push(second);
    const post = () =>
      fetch(`${second.url}/v1/ingest/apple-health`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
    const resent = await post();
    expect(resent.status).toBe(200);
    expect((await post()).status).toBe(200);
    expect(await countBatches()).toBe(1);
    await second.kill('SIGTERM');
  });
});
