// One data request through the layers a real API puts in front of its handlers, in this order:
// injected latency → bearer auth (401) → both rate-limit layers (429, spends nothing) → the user's
// subscription (403) → network faults (reset, hang) → storm 429 → injected 5xx → handler → malformed
// documents → truncated body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { planFaults, truncate } from '../../sandbox-kit/faults.ts';
import { sendJson, sendRaw } from '../../sandbox-kit/http.ts';
import { hash01 } from '../../sandbox-kit/prng.ts';
import type { Lifecycle } from '../../sandbox-kit/server.ts';
import { dayRange, decodeCursor, encodeCursor, instantRange, QueryError } from './query.ts';
import type { OuraSandboxState } from './state.ts';
import { type DailyDocumentKind, OURA_SANDBOX_KINDS, type OuraSandboxKind } from './types.ts';
import { sortKey, type UserData } from './user-data.ts';

export const COLLECTION_PREFIX = '/v2/usercollection/';

function bearer(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

function isKind(name: string): name is OuraSandboxKind {
  return (OURA_SANDBOX_KINDS as readonly string[]).includes(name);
}

export async function handleApi(
  state: OuraSandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  life: Lifecycle,
): Promise<void> {
  const name = path.startsWith(COLLECTION_PREFIX) ? path.slice(COLLECTION_PREFIX.length) : '';
  const known = req.method === 'GET' && (name === 'personal_info' || isKind(name));
  state.hit(known ? `GET ${path}` : `${req.method} (unknown path)`);
  const faults = planFaults(state.seed, state.dataRequests++, state.faults);
  if (state.faults.latencyMs) await life.delay(state.faults.latencyMs);
  if (res.destroyed) return;

  const token = bearer(req);
  const userKey = token ? state.tokens.authenticate(token) : undefined;
  if (!token || !userKey) {
    state.stats.unauthorized++;
    return sendJson(
      res,
      401,
      { detail: 'Unauthorized' },
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    );
  }
  const limit = state.limits.take(token);
  if (!limit.allowed) {
    if (limit.tier === 'token') state.stats.token429++;
    else state.stats.app429++;
    return sendJson(res, 429, { detail: 'Too Many Requests' }, limit.headers);
  }
  const headers = limit.headers;
  const user = state.user(userKey);
  if (!user.subscriptionActive) {
    state.stats.forbidden++;
    return sendJson(res, 403, { detail: 'Subscription expired' }, headers);
  }
  if (faults.reset) {
    req.socket.destroy();
    return;
  }
  if (faults.timeout) return life.hang(req, res);
  if (faults.storm429) {
    state.stats.injected429++;
    const reset = Math.ceil(Date.now() / 1000) + faults.stormRetryAfter;
    return sendJson(
      res,
      429,
      { detail: 'Too Many Requests' },
      {
        ...headers,
        'Retry-After': String(faults.stormRetryAfter),
        'X-RateLimit-Reset': String(reset),
        'X-RateLimit-Tier': 'application',
      },
    );
  }
  if (faults.serverError) {
    state.stats.injected5xx++;
    if (faults.serverError === 502) {
      return sendRaw(res, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html', headers);
    }
    return sendJson(res, faults.serverError, { detail: 'Internal Server Error' }, headers);
  }
  if (!known) return sendJson(res, 404, { detail: 'Not Found' }, headers);

  let body: unknown;
  try {
    body =
      name === 'personal_info' ? user.personalInfo : collection(state, user, name as OuraSandboxKind, query);
  } catch (error) {
    if (error instanceof QueryError) return sendJson(res, 400, { detail: error.message }, headers);
    throw error;
  }
  let text = JSON.stringify(body);
  if (faults.truncateAt !== undefined) text = truncate(text, faults.truncateAt);
  sendRaw(res, 200, text, 'application/json', headers);
}

function collection(state: OuraSandboxState, user: UserData, kind: OuraSandboxKind, query: URLSearchParams) {
  const now = state.nowMs();
  const after = decodeCursor(query.get('next_token'));
  if (kind === 'heartrate') {
    const { startMs, endMs } = instantRange(query, now);
    const from = after === undefined ? startMs : Number(after);
    if (!Number.isFinite(from)) throw new QueryError('next_token is not valid');
    const { rows, nextMs } = user.heartrate(from, endMs, now, state.heartratePageSize);
    return { data: rows, next_token: nextMs === undefined ? null : encodeCursor(String(nextMs)) };
  }
  const { firstDay, lastDay } = dayRange(query, user.today(now));
  const all = user.documents(kind, firstDay, lastDay, now);
  const start = after === undefined ? 0 : all.findIndex((doc) => sortKey(doc) > after);
  const page = start < 0 ? [] : all.slice(start, start + state.pageSize);
  const last = page.at(-1);
  const more = start >= 0 && start + state.pageSize < all.length;
  return {
    data: page.map((doc) => served(state, kind, doc)),
    next_token: more && last ? encodeCursor(sortKey(last)) : null,
  };
}

/** The document as served: the malformed-record fault breaks chosen documents the same way every time. */
function served(state: OuraSandboxState, kind: DailyDocumentKind, doc: Record<string, unknown>): unknown {
  const rate = state.faults.malformedRecordRate ?? 0;
  const key = `${state.seed}|malformed|${kind}|${String(doc.id)}`;
  if (rate <= 0 || hash01(key) >= rate) return doc;
  const broken = structuredClone(doc);
  const how = Math.floor(hash01(`${key}|how`) * 3);
  if (how === 0) delete broken.day;
  else if (how === 1) broken.day = 'yesterday';
  else broken.id = 12345;
  return broken;
}
