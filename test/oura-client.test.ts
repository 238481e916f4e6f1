// The Oura client over real HTTP on loopback: a small scripted server checks the query each window
// sends (dates that keep the window's last day, instants for heartrate), plays Oura's statuses and
// rate-limit headers, and the token endpoint's grants.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/errors.ts';
import { createOuraClient, ouraDateRange } from '../providers/oura/client.ts';
import { createLocalBudget, type RateBudget, type RateLimitObservation } from '../providers/rate-budget.ts';
import type { RequestStats } from '../providers/types.ts';

const CLIENT_SECRET = 'client-SECRET-oura';

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

function setup() {
  const inner = createLocalBudget(60_000);
  const observed: RateLimitObservation[] = [];
  const penalties: number[] = [];
  const budget: RateBudget = {
    acquire: () => inner.acquire(),
    observe: (h) => observed.push(h),
    penalize: (ms) => penalties.push(ms),
  };
  const client = createOuraClient({
    apiUrl: `${base}/`,
    tokenUrl: `${base}/oauth/token`,
    clientId: 'oura-client',
    clientSecret: CLIENT_SECRET,
    budget,
    timeoutMs: 1000,
  });
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  return { client, stats, observed, penalties };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('ouraDateRange: a window never loses its last day', () => {
  it('asks for the day after the last day, because a date-only end_date is excluded', () => {
    expect(ouraDateRange(new Date('2024-03-01T00:00:00Z'), new Date('2024-03-31T00:00:00Z'))).toEqual({
      startDate: '2024-03-01',
      endDate: '2024-03-31',
    });
  });
  it('a window ending inside a day includes that day', () => {
    expect(ouraDateRange(new Date('2024-03-01T10:37:00Z'), new Date('2024-03-08T10:37:00Z'))).toEqual({
      startDate: '2024-03-01',
      endDate: '2024-03-09',
    });
  });
  it('a one-millisecond window still asks for its day', () => {
    expect(ouraDateRange(new Date('2024-02-29T23:59:59.999Z'), new Date('2024-03-01T00:00:00.000Z'))).toEqual(
      { startDate: '2024-02-29', endDate: '2024-03-01' },
    );
  });
  it('rejects an empty window', () => {
    expect(() => ouraDateRange(new Date('2024-03-01T00:00:00Z'), new Date('2024-03-01T00:00:00Z'))).toThrow(
      /end must be after start/,
    );
  });
});

describe('collection pages', () => {
  it('sends start_date/end_date and the cursor, and returns documents and next_token', async () => {
    handler = (_req, res) => json(res, 200, { data: [{ id: 'a' }, { id: 'b' }], next_token: 'page-2' });
    const { client, stats } = setup();
    const window = { start: new Date('2024-03-01T00:00:00Z'), end: new Date('2024-03-31T00:00:00Z') };
    const page = await client.fetchCollectionPage(
      'tok',
      'daily_sleep',
      { ...window, cursor: 'page-1' },
      stats,
    );
    expect(page).toEqual({
      kind: 'daily_sleep',
      documents: [{ id: 'a' }, { id: 'b' }],
      nextCursor: 'page-2',
    });
    const request = seen[0];
    expect(request?.url.pathname).toBe('/v2/usercollection/daily_sleep');
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({
      start_date: '2024-03-01',
      end_date: '2024-03-31',
      next_token: 'page-1',
    });
    expect(request?.headers.authorization).toBe('Bearer tok');
    expect(stats.apiCalls).toBe(1);
  });

  it('a null next_token ends the window', async () => {
    handler = (_req, res) => json(res, 200, { data: [], next_token: null });
    const { client, stats } = setup();
    const window = { start: new Date('2024-03-01T00:00:00Z'), end: new Date('2024-03-02T00:00:00Z') };
    const page = await client.fetchCollectionPage('tok', 'sleep', window, stats);
    expect(page.nextCursor).toBeUndefined();
  });

  it('heartrate asks by instants, and refuses spans over 30 days before sending anything', async () => {
    handler = (_req, res) => json(res, 200, { data: [], next_token: null });
    const { client, stats } = setup();
    const start = new Date('2024-03-01T00:00:00Z');
    await client.fetchCollectionPage(
      'tok',
      'heartrate',
      { start, end: new Date('2024-03-31T00:00:00Z') },
      stats,
    );
    expect(Object.fromEntries(seen[0]?.url.searchParams ?? [])).toEqual({
      start_datetime: '2024-03-01T00:00:00.000Z',
      end_datetime: '2024-03-31T00:00:00.000Z',
    });
    const tooLong = await failure(
      client.fetchCollectionPage('tok', 'heartrate', { start, end: new Date('2024-03-31T00:00:01Z') }, stats),
    );
    expect(tooLong.errorClass).toBe('invalid_input');
    expect(seen).toHaveLength(1);
  });

  it('a broken envelope or a repeated cursor fails the page as a client error', async () => {
    const { client, stats } = setup();
    const window = { start: new Date('2024-03-01T00:00:00Z'), end: new Date('2024-03-02T00:00:00Z') };
    handler = (_req, res) => json(res, 200, { records: [] });
    expect((await failure(client.fetchCollectionPage('tok', 'sleep', window, stats))).errorClass).toBe(
      'client_error',
    );
    handler = (_req, res) => json(res, 200, { data: [], next_token: 'same' });
    const repeated = await failure(
      client.fetchCollectionPage('tok', 'sleep', { ...window, cursor: 'same' }, stats),
    );
    expect(repeated.message).toMatch(/repeats/);
  });
});

describe('failures', () => {
  const window = { start: new Date('2024-03-01T00:00:00Z'), end: new Date('2024-03-02T00:00:00Z') };

  it('401 is unauthorized (refresh once), 403 is access denied: not retryable, not a revocation', async () => {
    const { client, stats } = setup();
    handler = (_req, res) => json(res, 401, { detail: 'Unauthorized' });
    const unauthorized = await failure(client.fetchCollectionPage('tok', 'sleep', window, stats));
    expect(unauthorized.errorClass).toBe('unauthorized');
    handler = (_req, res) => json(res, 403, { detail: 'Subscription expired' });
    const forbidden = await failure(client.fetchCollectionPage('tok', 'sleep', window, stats));
    expect(forbidden.errorClass).toBe('access_denied');
    expect(forbidden.retryable).toBe(false);
    expect(forbidden.message).toMatch(/403.*subscription expired.*: Subscription expired/i);
  });

  it('429 waits as Retry-After says and reads X-RateLimit-Reset as a Unix epoch', async () => {
    const { client, stats, observed, penalties } = setup();
    const resetAt = Math.floor(Date.now() / 1000) + 120;
    handler = (_req, res) =>
      json(
        res,
        429,
        { detail: 'Too many requests' },
        {
          'Retry-After': '7',
          'X-RateLimit-Limit': '5000',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(resetAt),
          'X-RateLimit-Window': '300',
          'X-RateLimit-Tier': 'token',
        },
      );
    const limited = await failure(client.fetchCollectionPage('tok', 'sleep', window, stats));
    expect(limited.errorClass).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(7000);
    expect(penalties).toEqual([7000]);
    expect(stats.rateLimited).toBe(1);
    // The epoch is read as "about two minutes from now", not as 1.7 billion seconds.
    expect(observed[0]?.remaining).toBe(0);
    expect(observed[0]?.resetSeconds).toBeGreaterThan(110);
    expect(observed[0]?.resetSeconds).toBeLessThanOrEqual(120);
  });

  it('a 429 without Retry-After waits until the epoch reset', async () => {
    const { client, stats } = setup();
    const resetAt = Math.floor(Date.now() / 1000) + 30;
    handler = (_req, res) =>
      json(res, 429, {}, { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(resetAt) });
    const limited = await failure(client.fetchCollectionPage('tok', 'sleep', window, stats));
    expect(limited.retryAfterMs).toBeGreaterThan(20_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(30_000);
  });
});

describe('the token endpoint', () => {
  it('refresh spends the refresh token and returns the rotated pair', async () => {
    handler = (_req, res) =>
      json(res, 200, { access_token: 'a2', refresh_token: 'r2', expires_in: 86400, token_type: 'bearer' });
    const { client, stats } = setup();
    const tokens = await client.refreshTokens('r1', stats);
    expect(tokens.accessToken).toBe('a2');
    expect(tokens.refreshToken).toBe('r2');
    const form = new URLSearchParams(seen[0]?.body);
    expect(seen[0]?.url.pathname).toBe('/oauth/token');
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'r1',
      client_id: 'oura-client',
      client_secret: CLIENT_SECRET,
    });
  });

  it('a spent refresh token is a revocation; a 503 is not', async () => {
    const { client, stats } = setup();
    handler = (_req, res) => json(res, 400, { error: 'invalid_grant' });
    expect((await failure(client.refreshTokens('r1', stats))).errorClass).toBe('reauth_required');
    handler = (_req, res) => json(res, 503, { error: 'temporarily_unavailable' });
    expect((await failure(client.refreshTokens('r1', stats))).errorClass).toBe('transient');
  });

  it('exchangeCode sends the code, redirect URI and PKCE verifier', async () => {
    handler = (_req, res) => json(res, 200, { access_token: 'a1', refresh_token: 'r1', expires_in: 60 });
    const { client, stats } = setup();
    const tokens = await client.exchangeCode('the-code', 'http://127.0.0.1:9/cb', 'verifier-123', stats);
    expect(tokens.refreshToken).toBe('r1');
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toMatchObject({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'http://127.0.0.1:9/cb',
      code_verifier: 'verifier-123',
    });
  });
});
