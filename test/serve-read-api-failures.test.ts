// A failed read-API fetch over real HTTP (docs/read-api.md, "A failed fetch"): serve, Postgres, the
// Temporal dev server with a worker, and the WHOOP sandbox behind a proxy that answers one user's
// data requests 400 (test/support/bad-proxy.ts). The readFetch fails (non-retryable), the days
// answer `failed` with the reason and a Retry-After instead of staying `pending`; no new fetch is
// started until then; once it has passed, a read fetches again and the days come back complete.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadToken } from '../store/read-tokens.ts';
import type { Config } from '../worker/config.ts';
import { readFetchWorkflowId } from '../workflows/read-fetch.ts';
import { type BadProxy, startBadProxy } from './support/bad-proxy.ts';
import { type ServeOn, startServeOn } from './support/serve-stack.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const RETRY_AFTER_S = 3;
let proxy: BadProxy;
let stack: WhoopStack;
let serve: ServeOn;
let token: string;
let accessToken: string;
let failedAnswer: Answer | undefined;

beforeAll(async () => {
  proxy = await startBadProxy();
  stack = await startWhoopStack({ env: { WHOOP_API_URL: proxy.url } });
  proxy.setTarget(stack.sandbox.url);
  serve = await startServeOn(stack, {
    WHOOP_AUTH_URL: stack.sandbox.authUrl,
    READ_FETCH_RETRY_AFTER_S: RETRY_AFTER_S,
  } as Partial<Config>);
  const tokens = stack.sandbox.control.issueTokens('fay');
  accessToken = tokens.accessToken;
  await stack.connectUserWith('fay', tokens);
  token = (await createReadToken(stack.db.sql, { allUsers: true })).token;
}, 120_000);
afterAll(async () => {
  await serve?.close();
  await stack?.close();
  await proxy?.close();
});

interface Answer {
  pending: string[];
  failed: { provider: string; errorType: string; reason: string; failedAt: string; retryAfterS: number }[];
  days: { day: string; status: string; final: boolean; reason?: string }[];
}

const from = day(-30);
const to = day(-28);
const daily = async (wait: string) => {
  const response = await fetch(
    `${serve.url}/v1/users/fay/daily?from=${iso(from)}&to=${iso(to)}&wait=${wait}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  return { response, body: (await response.json()) as Answer };
};

const readFetchRuns = async () => {
  let runs = 0;
  for await (const _ of stack.temporal.client.workflow.list({
    query: `WorkflowId = '${readFetchWorkflowId('whoop', 'fay')}'`,
  })) {
    runs++;
  }
  return runs;
};

describe('a failed fetch', () => {
  it('answers failed with the reason and Retry-After, not pending; a later read fetches again', async () => {
    proxy.breakFor(accessToken, {
      status: 400,
      contentType: 'application/json',
      body: '{"error":"bad_request"}',
    });
    const { response, body } = await daily('30s');
    expect(response.status).toBe(200);
    failedAnswer = body;
    expect(body.days.map((d) => d.status)).toEqual(['failed', 'failed', 'failed']);
    expect(body.days.every((d) => !d.final && /whoop: .*HTTP 400/.test(d.reason ?? ''))).toBe(true);
    expect(body.pending).toEqual([]);
    expect(body.failed).toHaveLength(1);
    expect(body.failed[0]).toMatchObject({ provider: 'whoop', errorType: 'ProviderClientError' });
    expect(body.failed[0]?.reason).toMatch(/HTTP 400/);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(RETRY_AFTER_S);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    expect(proxy.served()).toBeGreaterThan(0);
    // The workflow recorded why before it failed, so the answer can come a moment before it ends.
    const handle = stack.temporal.client.workflow.getHandle(readFetchWorkflowId('whoop', 'fay'));
    let state = (await handle.describe()).status.name;
    for (let i = 0; i < 100 && state === 'RUNNING'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (await handle.describe()).status.name;
    }
    expect(state).toBe('FAILED');
    // The connection is still active: without the failure these days would stay pending for ever.
    const [connection] = await stack.db.sql`select status from connections where user_id = 'fay'`;
    expect(connection?.status).toBe('active');

    // Asked again at once: still failed, and no new fetch is started before Retry-After.
    const served = proxy.served();
    const again = await daily('0');
    expect(again.body.days.map((d) => d.status)).toEqual(['failed', 'failed', 'failed']);
    expect(await readFetchRuns()).toBe(1);
    expect(proxy.served()).toBe(served);

    // The provider answers again; after Retry-After the next read fetches and completes.
    proxy.mend(accessToken);
    await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_S * 1000 + 200));
    const later = await daily('30s');
    expect(later.body.failed).toEqual([]);
    expect(later.body.days.map((d) => d.status)).toEqual(['complete', 'complete', 'complete']);
    expect(await readFetchRuns()).toBe(2);
  });

  it('is described by /openapi.json: the failed answer validates against the daily schema', async () => {
    const doc = (await (await fetch(`${serve.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>
      >;
    };
    const schema =
      doc.paths['/v1/users/{user}/daily']?.get?.responses['200']?.content['application/json']?.schema;
    const validate = new Ajv2020({ strict: false }).compile(schema as object);
    expect(failedAnswer?.failed).toHaveLength(1);
    expect(validate(failedAnswer)).toBe(true);
    expect(validate({ ...failedAnswer, failed: [{ provider: 'whoop' }] })).toBe(false);
  });
});
