// POST /v1/ingest/apple-health over real HTTP against real Postgres and Temporal: every status a
// sender can get, write-through storage, duplicates, normalization into records exactly once, and
// GET /health and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeIngestTokens } from '../store/ingest-tokens.ts';
import { waitFor } from '../worker/stack/processes.ts';
import { haeBatch, recordsPerBatch } from './fixtures/health-auto-export.ts';
import { type ServeStack, startServeStack } from './support/serve-stack.ts';

let stack: ServeStack;
let token: string;

beforeAll(async () => {
  stack = await startServeStack({ env: { INGEST_MAX_BYTES: '65536' } });
  token = await stack.tokenFor('hana');
});
afterAll(() => stack?.close());

const ingest = (body: string | object, headers: Record<string, string> = {}) =>
  fetch(`${stack.url}/v1/ingest/apple-health`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const batchCount = async () =>
  Number((await stack.db.sql`select count(*)::int as n from ingest_batches`)[0]?.n);

async function normalized(batchId: string) {
  return waitFor(
    `batch ${batchId} normalized`,
    async () => {
      const [row] = await stack.db.sql<{ normalized_at: Date | null; records: number | null }[]>`
        select normalized_at, records from ingest_batches where id = ${batchId}`;
      if (!row?.normalized_at) throw new Error('not yet');
      return row;
    },
    60_000,
  );
}

describe('authentication comes first', () => {
  it('401 without a token, with a wrong one and with a revoked one; nothing stored', async () => {
    const before = await batchCount();
    const missing = await ingest(haeBatch(), { authorization: '' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await ingest(haeBatch(), { authorization: 'Bearer whi_not-a-real-token' })).status).toBe(401);
    expect((await ingest(haeBatch(), { authorization: 'Basic aGFuYTp4' })).status).toBe(401);
    const revoked = await stack.tokenFor('hana');
    const [row] = await stack.db.sql<{ id: number }[]>`select id from ingest_tokens order by id desc limit 1`;
    await revokeIngestTokens(stack.db.sql, { id: Number(row?.id) });
    expect((await ingest(haeBatch(), { authorization: `Bearer ${revoked}` })).status).toBe(401);
    // A wrong token with a body that is also malformed and too big: still 401 (auth is checked first).
    expect((await ingest('{'.repeat(100_000), { authorization: 'Bearer whi_wrong' })).status).toBe(401);
    expect(await batchCount()).toBe(before);
  });
});

describe('bad bodies', () => {
  it('413 over INGEST_MAX_BYTES, 400 for malformed JSON, 415 for another type; nothing stored', async () => {
    const before = await batchCount();
    const big = await ingest(haeBatch({ points: 2000 }));
    expect(big.status).toBe(413);
    const malformed = await ingest('{"data": {"metrics": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'malformed_json' });
    expect((await ingest('', {})).status).toBe(400);
    const xml = await ingest('<HealthData/>', { 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(await batchCount()).toBe(before);
  });

  it('422 naming the paths of schema errors', async () => {
    const bad = haeBatch();
    (bad.data.metrics[0]?.data as Record<string, unknown>[])[2] = {
      date: '2024-02-06 00:02:00 -0800',
      Min: 1,
      Max: 2,
    };
    (bad.data.workouts[0] as Record<string, unknown>).end = 'later';
    const response = await ingest(bad);
    expect(response.status).toBe(422);
    const body = (await response.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual([
      'body.data.metrics.0.data.2.Avg',
      'body.data.workouts.0.end',
    ]);
    expect((await ingest({ metrics: [] })).status).toBe(422);
  });
});

describe('a good batch', () => {
  it('is stored raw, acknowledged, normalized into records once; a re-send is acknowledged without a second row', async () => {
    const body = JSON.stringify(haeBatch({ hour: 100 }));
    const response = await ingest(body, { 'session-id': 'session-1', 'automation-name': 'wearhouse' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const { batchId, status } = (await response.json()) as { batchId: string; status: string };
    expect(status).toBe('stored');
    const [stored] = await stack.db.sql<
      { payload: Buffer; session_id: string; headers: object; user_id: string }[]
    >`
      select payload, session_id, headers, user_id from ingest_batches where id = ${batchId}`;
    expect(stored?.payload.toString('utf8')).toBe(body);
    expect(stored).toMatchObject({
      session_id: 'session-1',
      headers: { 'automation-name': 'wearhouse' },
      user_id: 'hana',
    });

    const again = await ingest(body, { 'session-id': 'session-1' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ batchId, status: 'duplicate' });
    expect(
      (
        await stack.db
          .sql`select count(*)::int as n from ingest_batches where payload_hash = encode(sha256(${Buffer.from(body)}), 'hex')`
      )[0]?.n,
    ).toBe(1);

    const row = await normalized(batchId);
    expect(row.records).toBe(recordsPerBatch());
    const records = await stack.db.sql<{ kind: string; n: number }[]>`
      select kind, count(*)::int as n from records where provider = 'apple_health' and user_id = 'hana'
        and start_at >= '2024-02-10' group by kind order by kind`;
    expect(records).toEqual([
      { kind: 'record', n: 8 },
      { kind: 'sleep_summary', n: 1 },
      { kind: 'workout', n: 1 },
    ]);
    const sources = await stack.db.sql<{ source: string | null }[]>`
      select distinct source from records where provider = 'apple_health' and user_id = 'hana'
        and kind = 'record' and start_at >= '2024-02-10' order by source`;
    expect(sources.map((r) => r.source)).toEqual(['Apple Watch', 'iPhone']);
  });

  it('an overlapping period in a new batch updates the shared points instead of adding them again', async () => {
    const first = await ingest(haeBatch({ hour: 200, points: 3, workouts: false }));
    const firstId = ((await first.json()) as { batchId: string }).batchId;
    await normalized(firstId);
    const overlapping = haeBatch({ hour: 200, points: 5, workouts: false });
    const second = await ingest(overlapping);
    const secondId = ((await second.json()) as { batchId: string }).batchId;
    expect(secondId).not.toBe(firstId);
    await normalized(secondId);
    const [count] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records where provider = 'apple_health' and user_id = 'hana'
        and payload->>'metric' in ('heart_rate', 'step_count')
        and start_at >= '2024-02-14T16:00:00Z' and start_at < '2024-02-14T17:00:00Z'`;
    expect(count?.n).toBe(5 * 2);
  });
});

describe('health and metrics', () => {
  it('GET /health is 200 with Postgres and Temporal up', async () => {
    const response = await fetch(`${stack.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', postgres: 'ok', temporal: 'ok' });
  });

  it('GET /health is 503 naming Temporal when it is unreachable', async () => {
    const other = await stack.startAnotherServe({ temporalAddress: '127.0.0.1:1' });
    const response = await fetch(`${other.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', postgres: 'ok', temporal: 'unreachable' });
  });

  it('GET /health is 503 naming Postgres when it is unreachable', async () => {
    const dead = new URL(stack.db.url);
    dead.port = '1';
    const other = await stack.startAnotherServe({ databaseUrl: dead.toString() });
    const response = await fetch(`${other.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ postgres: 'unreachable', temporal: 'ok' });
  });

  it('GET /metrics counts requests by route and status, bytes, and the ingest lag', async () => {
    const response = await fetch(`${stack.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(
      value(
        /wearhouse_http_requests_total\{method="POST",route="\/v1\/ingest\/apple-health",status="401"\} (\d+)/,
      ),
    ).toBeGreaterThanOrEqual(5);
    expect(
      value(
        /wearhouse_http_requests_total\{method="POST",route="\/v1\/ingest\/apple-health",status="422"\} (\d+)/,
      ),
    ).toBe(2);
    expect(
      value(/wearhouse_http_request_bytes_total\{route="\/v1\/ingest\/apple-health"\} (\d+)/),
    ).toBeGreaterThan(1000);
    expect(
      value(/wearhouse_ingest_batches_total\{format="health_auto_export",outcome="duplicate"\} (\d+)/),
    ).toBe(1);
    expect(text).toMatch(/wearhouse_ingest_pending_batches \d+/);
    expect(text).toMatch(/wearhouse_ingest_lag_seconds [\d.e+-]+/);
  });

  it('logs a request id per request and never a token or a body', async () => {
    const joined = stack.serveLog.join('\n');
    expect(joined).not.toContain(token);
    expect(joined).not.toContain('Apple Watch');
    expect(joined).not.toContain('whi_not-a-real-token');
    const line = stack.serveLog
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request' && l.status === 422);
    expect(line).toMatchObject({ route: '/v1/ingest/apple-health', method: 'POST' });
    expect(line.reqId).toBeTruthy();
  });
});
