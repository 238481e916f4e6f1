// The read API over real HTTP: serve + Postgres + the Temporal dev server (a worker on the test's
// queue) + the WHOOP sandbox. Missing days are fetched by one readFetch however many clients ask; a
// stored day costs no provider request; a provider with nothing gives `unavailable`; auth, ETag,
// records paging and the OpenAPI document.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReadToken, revokeReadTokens } from '../store/read-tokens.ts';
import { readFetchWorkflowId } from '../workflows/read-fetch.ts';
import { type ServeStack, startServeStack } from './support/serve-stack.ts';
import { dataRequests, day, iso } from './support/whoop-stack.ts';

let stack: ServeStack;
let anaToken: string;
let allToken: string;

beforeAll(async () => {
  stack = await startServeStack();
  await stack.connectUser('ana');
  await stack.connectUser('bo');
  // Only the concurrency test asks for cy's days: no other test's fetch can join or run beside it.
  await stack.connectUser('cy');
  anaToken = (await createReadToken(stack.db.sql, { allUsers: false, userId: 'ana' })).token;
  allToken = (await createReadToken(stack.db.sql, { allUsers: true })).token;
}, 120_000);
afterAll(async () => {
  if (process.env.READ_DEBUG)
    console.log(
      stack.serveLog
        .filter((l) => l.includes('fail'))
        .slice(0, 5)
        .join('\n'),
    );
  await stack?.close();
});

const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.url}${path}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });

/**
 * serve caches live tokens for 30 s (serve/read-token-cache.ts) and forgets them when Postgres tells
 * it a token changed, which reaches it a moment after the revoking commit: a revoked token's status,
 * asked until it is no longer 200 for at most 5 s, far less than the cache's 30 s.
 */
const statusAfterRevoking = async (path: string, token: string) => {
  const revokedAt = Date.now();
  let status = 200;
  while (status === 200 && Date.now() - revokedAt < 5000) status = (await get(path, token)).status;
  return status;
};

interface Day {
  day: string;
  status: string;
  final: boolean;
  sleep_min?: number | null;
  providers?: { provider: string; status: string; records: number }[];
}
const daily = async (user: string, from: Date, to: Date, query = '', token = allToken) => {
  const response = await get(`/v1/users/${user}/daily?from=${iso(from)}&to=${iso(to)}${query}`, token);
  return { response, body: (await response.json()) as { days: Day[]; pending: string[] } };
};

/** Waits until no workflow runs on the test's queue: the sandbox's request counter is global. */
const idle = async () => {
  const query = `ExecutionStatus = 'Running' AND TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`;
  for (let i = 0; i < 300; i++) {
    if ((await stack.temporal.client.workflow.count(query)).count === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('workflows still running after 30 s');
};

const readFetchRuns = async (user: string) => {
  let runs = 0;
  for await (const _ of stack.temporal.client.workflow.list({
    query: `WorkflowId = '${readFetchWorkflowId('whoop', user)}'`,
  })) {
    runs++;
  }
  return runs;
};

describe('auth', () => {
  it('401 without a token or with an unknown or revoked one; 403 on another user and on status', async () => {
    const path = `/v1/users/ana/daily?from=${iso(day(-3))}&to=${iso(day(-3))}&wait=0`;
    const none = await get(path);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get(path, 'whr_not-a-token')).status).toBe(401);
    const { id, token } = await createReadToken(stack.db.sql, { allUsers: false, userId: 'ana' });
    expect((await get(path, token)).status).toBe(200);
    expect((await get(path, token)).status).toBe(200);
    expect(await revokeReadTokens(stack.db.sql, { id })).toBe(1);
    expect(await statusAfterRevoking(path, token)).toBe(401);
    // An ingest token is no read token.
    expect((await get(path, await stack.tokenFor('ana'))).status).toBe(401);
    expect((await get(path.replace('/ana/', '/bo/'), anaToken)).status).toBe(403);
    expect(
      (await get(`/v1/users/bo/records?kind=cycle&from=2024-01-01&to=2024-01-02`, anaToken)).status,
    ).toBe(403);
    expect((await get('/v1/status', anaToken)).status).toBe(403);
    expect((await get('/v1/status', allToken)).status).toBe(200);
  });

  it('answers bad queries 400 with what is wrong, and an unknown user 404', async () => {
    const wide = await get(`/v1/users/ana/daily?from=${iso(day(-200))}&to=${iso(day(-100))}`, allToken);
    expect(wide.status).toBe(400);
    expect(((await wide.json()) as { message: string }).message).toContain('92');
    expect((await get('/v1/users/ana/daily?from=2024-02-30&to=2024-03-01', allToken)).status).toBe(400);
    expect((await get('/v1/users/ana/daily?from=2024-03-02&to=2024-03-01', allToken)).status).toBe(400);
    expect((await get('/v1/users/ana/daily?from=2024-03-01&to=2024-03-01&wait=31s', allToken)).status).toBe(
      400,
    );
    expect((await get('/v1/users/nobody/daily?from=2024-03-01&to=2024-03-01&wait=0', allToken)).status).toBe(
      404,
    );
  });
});

describe('wearhouse api-token', () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['bin/wearhouse.mjs', 'api-token', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: stack.db.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TOKEN_ENCRYPTION_KEY: stack.temporal.tokenEncryptionKey,
      },
      timeout: 60_000,
    });

  it('creates a token shown once that reads, lists it without the secret, and revokes it', async () => {
    const created = await cli('create', '--user', 'bo');
    const token = created.stdout.trim().split('\n').pop() as string;
    expect(token).toMatch(/^whr_/);
    const id = /read token (\d+) for bo/.exec(created.stdout)?.[1];
    const path = `/v1/users/bo/daily?from=${iso(day(-3))}&to=${iso(day(-3))}&wait=0`;
    expect((await get(path, token)).status).toBe(200);
    expect((await get(path.replace('/bo/', '/ana/'), token)).status).toBe(403);
    const listed = await cli('list');
    expect(listed.stdout).toContain(`${id}\t--user bo\tlive`);
    expect(listed.stdout).not.toContain(token);
    expect((await cli('revoke', '--id', id as string)).stdout).toContain('revoked 1 read token');
    expect(await statusAfterRevoking(path, token)).toBe(401);
    await expect(cli('create', '--user', 'bo', '--all-users')).rejects.toThrow(/exactly one/);
  });
});

describe('missing days', () => {
  const from = day(-40);
  const to = day(-34);

  it('are fetched once although ten clients ask for the same week at the same time', async () => {
    await idle();
    stack.sandbox.control.resetStats();
    const answers = await Promise.all(Array.from({ length: 10 }, () => daily('cy', from, to, '&wait=30s')));
    for (const { response, body } of answers) {
      expect(response.status).toBe(200);
      expect(body.pending).toEqual([]);
      expect(body.days).toHaveLength(7);
      expect(body.days.every((d) => d.status === 'complete' && d.final)).toBe(true);
      expect(body.days.some((d) => typeof d.sleep_min === 'number')).toBe(true);
    }
    const tenClients = dataRequests(stack.sandbox);
    expect(tenClients).toBeGreaterThan(0);
    expect(await readFetchRuns('cy')).toBe(1);
    // Ahead of backfills (priority key 1); its windows (purpose `read`) are in the ledger under its id.
    const owners = await stack.db.sql`select distinct workflow_id from coverage where user_id = 'cy'`;
    expect(owners.map((o) => o.workflow_id)).toEqual([readFetchWorkflowId('whoop', 'cy')]);
    const description = await stack.temporal.client.workflow
      .getHandle(readFetchWorkflowId('whoop', 'cy'))
      .describe();
    expect(description.type).toBe('readFetch');
    expect(description.priority?.priorityKey).toBe(1);
    // No window twice in the ledger.
    const doubled = await stack.db.sql`
      select kind, span from coverage where user_id = 'cy' group by kind, span having count(*) > 1`;
    expect(doubled).toHaveLength(0);

    // The same week asked by one client after forgetting it costs the same requests: ten cost one's.
    await stack.db.sql`delete from coverage where user_id = 'cy'`;
    await idle();
    stack.sandbox.control.resetStats();
    const one = await daily('cy', from, to, '&wait=30s');
    expect(one.body.days.every((d) => d.status === 'complete')).toBe(true);
    expect(dataRequests(stack.sandbox)).toBe(tenClients);
  });

  it('a stored day answers with no provider request and no new workflow', async () => {
    const runs = await readFetchRuns('cy');
    await idle();
    stack.sandbox.control.resetStats();
    const { response, body } = await daily('cy', from, to, '&wait=0&detail=providers');
    expect(response.status).toBe(200);
    expect(body.days.every((d) => d.status === 'complete')).toBe(true);
    expect(body.days[0]?.providers?.[0]).toMatchObject({ provider: 'whoop', status: 'complete' });
    expect(body.days[0]?.providers?.[0]?.records).toBeGreaterThan(0);
    expect(stack.sandbox.control.stats().requests).toBe(0);
    expect(await readFetchRuns('cy')).toBe(runs);
  });

  it('answers pending with Retry-After at once when told not to wait, then complete', async () => {
    const { response, body } = await daily('bo', day(-60), day(-58), '&wait=0', allToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('etag')).toBeNull();
    expect(body.pending).toEqual(['whoop']);
    expect(body.days.map((d) => d.status)).toEqual(['pending', 'pending', 'pending']);
    const later = await daily('bo', day(-60), day(-58), '&wait=30s', allToken);
    expect(later.body.days.map((d) => d.status)).toEqual(['complete', 'complete', 'complete']);
  });

  it('days the provider has nothing for are unavailable, not pending for ever', async () => {
    // The sandbox holds a little over five years per user.
    const { body } = await daily('ana', day(-2300), day(-2294), '&wait=30s');
    expect(body.pending).toEqual([]);
    expect(body.days.map((d) => d.status)).toEqual(Array(7).fill('unavailable'));
    await idle();
    stack.sandbox.control.resetStats();
    const again = await daily('ana', day(-2300), day(-2294), '&wait=0');
    expect(again.body.days.map((d) => d.status)).toEqual(Array(7).fill('unavailable'));
    expect(stack.sandbox.control.stats().requests).toBe(0);
  });
});

describe('caching', () => {
  it('settled days carry an ETag and Cache-Control; If-None-Match answers 304', async () => {
    const { response } = await daily('cy', day(-40), day(-34), '&wait=0');
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(response.headers.get('cache-control')).toBe('private, max-age=86400');
    const cached = await get(
      `/v1/users/cy/daily?from=${iso(day(-40))}&to=${iso(day(-34))}&wait=0`,
      allToken,
      {
        'if-none-match': etag as string,
      },
    );
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe('');
    const other = await get(`/v1/users/cy/daily?from=${iso(day(-40))}&to=${iso(day(-35))}&wait=0`, allToken, {
      'if-none-match': etag as string,
    });
    expect(other.status).toBe(200);
  });
});

describe('records', () => {
  it('pages through every stored document of a kind once, with an opaque cursor', async () => {
    const from = iso(day(-40));
    const to = iso(day(-34));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(
        `/v1/users/cy/records?kind=cycle&from=${from}&to=${to}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        allToken,
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        records: { sourceId: string; kind: string; payload: Record<string, unknown> }[];
        nextCursor: string | null;
      };
      expect(body.records.length).toBeLessThanOrEqual(2);
      for (const r of body.records) {
        expect(r.kind).toBe('cycle');
        expect(r.payload).toHaveProperty('id');
        seen.push(r.sourceId);
      }
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    const stored = await stack.db.sql<{ source_id: string }[]>`
      select source_id from records where user_id = 'cy' and kind = 'cycle' and deleted_at is null
        and local_day between ${from}::date and ${to}::date`;
    expect(stored.length).toBeGreaterThan(2);
    expect([...seen].sort()).toEqual(stored.map((r) => r.source_id).sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThan(1);
    const bad = await get(`/v1/users/cy/records?kind=cycle&from=${from}&to=${to}&cursor=nonsense`, allToken);
    expect(bad.status).toBe(400);
  });
});

describe('status and the OpenAPI document', () => {
  it('status shows requests, records, coverage per connection and kind', async () => {
    const response = await get('/v1/status', allToken);
    const body = (await response.json()) as {
      providers: { provider: string; requestsToday: number; kinds: { kind: string; records: number }[] }[];
      connections: {
        user: string;
        provider: string;
        kinds: { kind: string; records: number; covered: unknown[] }[];
      }[];
      pendingFetches: unknown[] | null;
    };
    const whoop = body.providers.find((p) => p.provider === 'whoop');
    expect(whoop?.requestsToday).toBeGreaterThan(0);
    expect(whoop?.kinds.find((k) => k.kind === 'cycle')?.records).toBeGreaterThan(0);
    const ana = body.connections.find((c) => c.user === 'ana' && c.provider === 'whoop');
    expect(ana?.kinds.find((k) => k.kind === 'cycle')?.covered.length).toBeGreaterThan(0);
    expect(Array.isArray(body.pendingFetches)).toBe(true);
    expect(JSON.stringify(body)).not.toMatch(/token|secret/i);
  });

  it('/openapi.json documents the read routes, and a real answer validates against it', async () => {
    const response = await get('/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/status',
      '/v1/users/{user}/daily',
      '/v1/users/{user}/records',
    ]);
    const schema =
      doc.paths['/v1/users/{user}/daily']?.get?.responses['200']?.content?.['application/json']?.schema;
    expect(schema).toBeDefined();
    const validate = new Ajv2020({ strict: false }).compile(schema as object);
    const { body } = await daily('cy', day(-40), day(-34), '&wait=0&detail=providers');
    expect(validate(body)).toBe(true);
    expect(validate({ days: 'nope' })).toBe(false);
  });
});
