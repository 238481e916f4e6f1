// The WHOOP client over real HTTP on loopback: a small scripted server plays each status, header
// and broken-body case, and every failure must come back classified once, without secrets in it.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/errors.ts';
import type { RequestEvent } from '../providers/http.ts';
import { createLocalBudget, type RateBudget, type RateLimitObservation } from '../providers/rate-budget.ts';
import type { ProviderRuntime, RequestStats } from '../providers/types.ts';
import { createWhoopClient, type WhoopClientOptions } from '../providers/whoop/client.ts';
import { createWhoopRuntime } from '../providers/whoop/index.ts';

const ACCESS = 'access-SECRET-token-1';
const REFRESH = 'refresh-SECRET-token-1';
const CLIENT_SECRET = 'client-SECRET-xyz';
const SECRETS = [ACCESS, REFRESH, CLIENT_SECRET];

interface Seen {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Seen, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.writeHead(500).end();
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      method: req.method ?? '',
      url: new URL(req.url ?? '/', 'http://localhost'),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    seen.push(request);
    handler(request, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

afterEach(() => {
  seen.length = 0;
});

/** A real local budget, recording what the client tells it. */
function recordingBudget() {
  const inner = createLocalBudget(60_000);
  const observed: RateLimitObservation[] = [];
  const penalties: number[] = [];
  const budget: RateBudget = {
    acquire: () => inner.acquire(),
    observe: (h) => {
      observed.push(h);
      inner.observe(h);
    },
    penalize: (ms) => penalties.push(ms),
  };
  return { budget, observed, penalties };
}

const logged: unknown[] = [];
const logger = {
  debug: (obj: object, msg?: string) => logged.push([obj, msg]),
  info: (obj: object, msg?: string) => logged.push([obj, msg]),
  warn: (obj: object, msg?: string) => logged.push([obj, msg]),
};

function setup(overrides: Partial<WhoopClientOptions> = {}) {
  const { budget, observed, penalties } = recordingBudget();
  const events: RequestEvent[] = [];
  const client = createWhoopClient({
    apiUrl: `${base}/developer/`,
    tokenUrl: `${base}/oauth/oauth2/token`,
    clientId: 'client-id',
    clientSecret: CLIENT_SECRET,
    budget,
    timeoutMs: 300,
    logger,
    onRequest: (e) => events.push(e),
    ...overrides,
  });
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  return { client, stats, observed, penalties, events };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

const window = { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-31T00:00:00Z') };

const cycleRecord = (id: number) => ({
  id,
  user_id: 10129,
  created_at: '2024-01-02T11:25:44.774Z',
  updated_at: '2024-01-02T14:25:44.774Z',
  start: '2024-01-02T02:25:44.774Z',
  end: '2024-01-03T02:25:44.774Z',
  timezone_offset: '-05:00',
  score_state: 'SCORED',
  score: { strain: 5.3, kilojoule: 8288.3, average_heart_rate: 68, max_heart_rate: 141 },
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const text = `${(error as Error).message} ${JSON.stringify(logged)}`;
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  return error as ProviderError;
}

describe('WHOOP collection pages', () => {
  it('asks for the window with the cursor, and returns mapped records and the next cursor', async () => {
    handler = (_req, res) =>
      json(
        res,
        200,
        { records: [cycleRecord(1), { id: 'x' }], next_token: 'page-3' },
        {
          'x-ratelimit-limit': '100, 100;window=60, 10000;window=86400',
          'x-ratelimit-remaining': '97',
          'x-ratelimit-reset': '41',
        },
      );
    const { client, stats, observed, events } = setup();
    const page = await client.fetchCollectionPage(ACCESS, 'cycle', { ...window, cursor: 'page-2' }, stats);

    const [request] = seen;
    expect(request?.method).toBe('GET');
    expect(request?.url.pathname).toBe('/developer/v2/cycle');
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({
      limit: '25',
      start: '2024-01-01T00:00:00.000Z',
      end: '2024-01-31T00:00:00.000Z',
      nextToken: 'page-2',
    });
    expect(request?.headers.authorization).toBe(`Bearer ${ACCESS}`);
    expect(page.records.map((r) => r.sourceId)).toEqual(['1']);
    expect(page.quarantined).toHaveLength(1);
    expect(page.nextCursor).toBe('page-3');
    expect(stats.apiCalls).toBe(1);
    expect(observed).toEqual([{ remaining: 97, resetSeconds: 41 }]);
    expect(events).toEqual([{ endpoint: '/v2/cycle', status: 200, latencyMs: expect.any(Number) }]);
  });

  it('uses each collection path and leaves out nextToken on the first page', async () => {
    handler = (_req, res) => json(res, 200, { records: [] });
    const { client, stats } = setup();
    for (const kind of ['cycle', 'sleep', 'recovery', 'workout'] as const) {
      const page = await client.fetchCollectionPage(ACCESS, kind, window, stats);
      expect(page).toEqual({ records: [], quarantined: [] });
    }
    expect(seen.map((r) => r.url.pathname)).toEqual([
      '/developer/v2/cycle',
      '/developer/v2/activity/sleep',
      '/developer/v2/recovery',
      '/developer/v2/activity/workout',
    ]);
    expect(seen.every((r) => !r.url.searchParams.has('nextToken'))).toBe(true);
    expect(stats.apiCalls).toBe(4);
  });

  it('counts the time spent waiting for the budget', async () => {
    handler = (_req, res) => json(res, 200, { records: [] });
    const { client, stats } = setup({ budget: createLocalBudget(600) });
    await Promise.all([1, 2, 3].map(() => client.fetchCollectionPage(ACCESS, 'sleep', window, stats)));
    // Three requests 100 ms apart: the second waits ~100 ms, the third ~200 ms.
    expect(stats.throttleWaitMs).toBeGreaterThanOrEqual(250);
    expect(stats.apiCalls).toBe(3);
  });

  it('fetches the profile and body measurement as single records', async () => {
    handler = (req, res) =>
      req.url.pathname.endsWith('/profile/basic')
        ? json(res, 200, { user_id: 10129, email: 'j@example.com', first_name: 'J', last_name: 'S' })
        : json(res, 200, { height_meter: 1.83, weight_kilogram: 90.7, max_heart_rate: 200 });
    const { client, stats } = setup();
    const profile = await client.fetchProfile(ACCESS, stats);
    const body = await client.fetchBodyMeasurement(ACCESS, stats);
    expect(profile.records[0]).toMatchObject({ kind: 'profile', sourceId: 'profile' });
    expect(body.records[0]).toMatchObject({ kind: 'body_measurement', payload: { max_heart_rate: 200 } });
    expect(seen.map((r) => r.url.pathname)).toEqual([
      '/developer/v2/user/profile/basic',
      '/developer/v2/user/measurement/body',
    ]);
  });

  it('is a ProviderRuntime with the WHOOP facts, refusing unknown kinds and non-OAuth credentials', async () => {
    const { budget } = recordingBudget();
    const runtime = createWhoopRuntime({ apiUrl: base, tokenUrl: base, authorizeUrl: base, budget });
    expect(runtime.descriptor).toMatchObject({
      name: 'whoop',
      auth: 'oauth',
      mode: 'pull',
      rescoreLookbackDays: 7,
      windowDays: 30,
    });
    expect(runtime.descriptor.kinds).toEqual(['cycle', 'sleep', 'recovery', 'workout']);
    const stats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
    const oauth = { type: 'oauth', accessToken: ACCESS } as const;
    const unknownKind = await failure(pull(runtime)(oauth, { kind: 'steps', ...window }, stats));
    expect(unknownKind.errorClass).toBe('invalid_input');
    const apiKey = { type: 'api_key', externalUserId: 'u1' } as const;
    const wrongAuth = await failure(pull(runtime)(apiKey, { kind: 'cycle', ...window }, stats));
    expect(wrongAuth.errorClass).toBe('invalid_input');
    expect(() => runtime.mapDocuments('steps', [])).toThrow(/no kind 'steps'/);
    expect(stats.apiCalls).toBe(0);
  });

  it('fetches raw documents and maps them apart (the fetch/map seam)', async () => {
    handler = (_q, res) => json(res, 200, { records: [{ id: 1 }, 'not an object'], next_token: 'n2' });
    const { budget } = recordingBudget();
    const runtime = createWhoopRuntime({ apiUrl: base, tokenUrl: base, authorizeUrl: base, budget });
    const stats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
    const raw = await pull(runtime)(
      { type: 'oauth', accessToken: ACCESS },
      { kind: 'cycle', ...window },
      stats,
    );
    expect(raw).toEqual({ kind: 'cycle', documents: [{ id: 1 }, 'not an object'], nextCursor: 'n2' });
    const mapped = runtime.mapDocuments('cycle', raw.documents);
    expect(mapped.records).toEqual([]);
    expect(mapped.quarantined.map((q) => q.sourceId)).toEqual(['1', null]);
    expect(stats.apiCalls).toBe(1);
  });
});

/** A pull runtime's fetchPage (WHOOP always has one). */
function pull(runtime: ProviderRuntime): NonNullable<ProviderRuntime['fetchPage']> {
  const { fetchPage } = runtime;
  if (!fetchPage) throw new Error(`${runtime.descriptor.name} has no fetchPage`);
  return fetchPage.bind(runtime);
}

/** Serves every request with `serve` and returns how fetching a cycle page failed. */
async function pageFailure(serve: Handler, overrides: Partial<WhoopClientOptions> = {}) {
  handler = serve;
  const run = setup(overrides);
  const error = await failure(run.client.fetchCollectionPage(ACCESS, 'cycle', window, run.stats));
  return { error, ...run };
}

describe('WHOOP data endpoint failures', () => {
  it('429 with Retry-After: rate_limited for that long, and the whole budget is paused', async () => {
    const { error, penalties, stats } = await pageFailure((_q, res) =>
      json(res, 429, {}, { 'retry-after': '7' }),
    );
    expect(error).toMatchObject({
      errorClass: 'rate_limited',
      status: 429,
      retryAfterMs: 7000,
      retryable: true,
    });
    expect(penalties).toEqual([7000]);
    expect(stats).toMatchObject({ apiCalls: 1, rateLimited: 1 });
  });

  it('429 without Retry-After waits for X-RateLimit-Reset, else 60 s; an HTTP-date works too', async () => {
    const reset = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '12' };
    const first = await pageFailure((_q, res) => json(res, 429, {}, reset));
    expect([first.error.retryAfterMs, first.penalties]).toEqual([12_000, [12_000]]);
    expect((await pageFailure((_q, res) => res.writeHead(429).end())).error.retryAfterMs).toBe(60_000);
    const date = { 'retry-after': new Date(Date.now() + 30_000).toUTCString() };
    const { error } = await pageFailure((_q, res) => res.writeHead(429, date).end());
    expect(error.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('a 429 whose body is cut off is still rate_limited', async () => {
    const { error } = await pageFailure((_q, res) => {
      res.writeHead(429, { 'retry-after': '2', 'content-length': '100' }).write('{"err');
      setTimeout(() => res.destroy(), 20);
    });
    expect(error).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 2000 });
  });

  it.each([500, 502, 503, 504])('%i is transient', async (status) => {
    const { error, events } = await pageFailure((_q, res) =>
      res.writeHead(status).end('<html>trouble</html>'),
    );
    expect(error).toMatchObject({ errorClass: 'transient', status });
    expect(error.message).toBe(`WHOOP GET /v2/cycle: HTTP ${status}`);
    expect(events).toEqual([{ endpoint: '/v2/cycle', status, latencyMs: expect.any(Number) }]);
  });

  it('401 is unauthorized (refresh, then retry)', async () => {
    const { error } = await pageFailure((_q, res) => json(res, 401, { error: 'invalid_token' }));
    expect(error).toMatchObject({ errorClass: 'unauthorized', status: 401 });
  });

  it.each([400, 403, 404, 422])('%i is a client error, never retried blindly', async (status) => {
    handler = (_req, res) => json(res, status, { error: 'nope' });
    const { client, stats } = setup();
    const error = await failure(client.fetchProfile(ACCESS, stats));
    expect(error).toMatchObject({ errorClass: 'client_error', status, retryable: false });
  });

  it('a server that never answers times out as transient', async () => {
    const { error, events } = await pageFailure(() => {});
    expect(error.errorClass).toBe('transient');
    expect(error.message).toMatch(/timed out after 300 ms/);
    expect(events).toEqual([{ endpoint: '/v2/cycle', status: 0, latencyMs: expect.any(Number) }]);
  });

  it('a body that stalls halfway, or a connection cut mid-body, is transient', async () => {
    const stall: Handler = (_q, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"r');
    expect((await pageFailure(stall)).error.errorClass).toBe('transient');
    const cut: Handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"records":[{"id":1,');
      setTimeout(() => res.destroy(), 20);
    };
    expect((await pageFailure(cut)).error.errorClass).toBe('transient');
  });

  it('truncated or non-JSON 200 bodies are transient', async () => {
    for (const body of ['{"records":[{"id":1,', '<html>maintenance</html>', '']) {
      const serve: Handler = (_q, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      expect((await pageFailure(serve)).error).toMatchObject({ errorClass: 'transient', status: 200 });
    }
  });

  it('a refused connection is transient', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const { error } = await pageFailure(() => {}, { apiUrl: `http://127.0.0.1:${port}` });
    expect(error.errorClass).toBe('transient');
    expect(error.message).toMatch(/network error \(ECONNREFUSED\)/);
  });
});

/** Serves every request with `serve` and returns how the refresh failed. */
async function refreshFailure(serve: Handler) {
  handler = serve;
  const { client, stats } = setup();
  return failure(client.refreshTokens(REFRESH, stats));
}

describe('WHOOP token refresh', () => {
  it('posts the refresh grant as a form and returns the rotated pair', async () => {
    const answer = {
      access_token: 'new-access',
      refresh_token: 'new-refresh',
      expires_in: 3600,
      scope: 'offline',
    };
    handler = (_req, res) => json(res, 200, { ...answer, token_type: 'bearer' });
    const { client, stats, events } = setup();
    const before = Date.now();
    const tokens = await client.refreshTokens(REFRESH, stats);
    expect(tokens).toMatchObject({ accessToken: 'new-access', refreshToken: 'new-refresh' });
    expect(tokens.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(tokens.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);

    const [request] = seen;
    expect([request?.method, request?.url.pathname]).toEqual(['POST', '/oauth/oauth2/token']);
    expect(request?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: REFRESH,
      client_id: 'client-id',
      client_secret: CLIENT_SECRET,
      scope: 'offline',
    });
    expect(stats.apiCalls).toBe(1);
    expect(events).toEqual([{ endpoint: 'oauth/token', status: 200, latencyMs: expect.any(Number) }]);
    expect(JSON.stringify(logged)).not.toContain('new-access');
  });

  it('keeps the old refresh token when none is returned', async () => {
    handler = (_req, res) => json(res, 200, { access_token: 'a2', expires_in: 60 });
    const { client, stats } = setup();
    expect((await client.refreshTokens(REFRESH, stats)).refreshToken).toBe(REFRESH);
  });

  it.each([
    [400, { error: 'invalid_grant', error_description: `token ${REFRESH} was already used` }],
    [401, { error: 'invalid_client' }],
    [400, { error: 'invalid_client' }],
    [401, 'Unauthorized'],
  ])('%i %j means the grant is revoked: reauth_required', async (status, body) => {
    const error = await refreshFailure((_q, res) => json(res, status, body));
    expect(error).toMatchObject({ errorClass: 'reauth_required', status, retryable: false });
  });

  it('other 4xx from the token endpoint are client errors', async () => {
    const error = await refreshFailure((_q, res) => json(res, 400, { error: 'invalid_request' }));
    expect(error).toMatchObject({ errorClass: 'client_error', status: 400 });
    expect(error.message).toContain('invalid_request');
  });

  it('a refresh failing in transit is transient, never a revocation', async () => {
    const cases: Handler[] = [
      (_q, res) => res.writeHead(503).end(),
      (_q, res) => res.writeHead(500).end('{"error":"server_error"}'),
      () => {},
      (_q, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"a3","ref'),
      (_q, res) => json(res, 200, { token: 'wrong shape' }),
    ];
    for (const serve of cases) expect((await refreshFailure(serve)).errorClass).toBe('transient');
  });

  it('429 from the token endpoint is rate_limited', async () => {
    const error = await refreshFailure((_q, res) => res.writeHead(429, { 'retry-after': '3' }).end());
    expect(error).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 3000 });
  });

  it('refuses to refresh without client credentials, before any request', async () => {
    const { client, stats } = setup({ clientSecret: undefined });
    expect((await failure(client.refreshTokens(REFRESH, stats))).errorClass).toBe('client_error');
    expect(seen).toHaveLength(0);
  });
});
