// The sandbox's Junction API: the user lookup, the four summaries and the grouped heart-rate series,
// behind the X-Vital-API-Key check and the scripted faults (429/503 under "load").
import type { JsonReply, JsonRequest } from '../../sandbox-kit/json-server.ts';
import type { ScriptedFaults } from '../../sandbox-kit/scripted-faults.ts';
import { isJunctionSummaryKind, type JunctionSummaryKind } from '../descriptor.ts';
import { type Doc, documentsFor, heartRateSamples, type Revision, userDocument } from './documents.ts';
import { daysIn, decodeCursor, encodeCursor, readRange } from './query.ts';
import type { SandboxUser } from './users.ts';

/** Heart-rate samples per page (all sources together). */
export const HEART_RATE_PAGE_SIZE = 500;
const DAY_MS = 86_400_000;

export interface ApiState {
  seed: string;
  apiKey: string;
  users: readonly SandboxUser[];
  /** Data exists from this day on, up to `now`. */
  historyDays: number;
  now(): Date;
  revisionOf(id: string): Revision | undefined;
  faults: ScriptedFaults;
  /** Requests answered, by endpoint template (faults included, key failures included). */
  hits: Map<string, number>;
}

export function handleApi(state: ApiState, request: JsonRequest): JsonReply {
  const path = request.url.pathname;
  const route = matchRoute(path);
  state.hits.set(route.endpoint, (state.hits.get(route.endpoint) ?? 0) + 1);
  if (request.method !== 'GET') return { status: 405, body: { detail: 'Method Not Allowed' } };
  const key = request.headers['x-vital-api-key'];
  if (typeof key !== 'string' || key.length === 0)
    return { status: 401, body: { detail: 'Missing API key' } };
  if (key !== state.apiKey) return { status: 401, body: { detail: 'Invalid API key' } };
  const fault = state.faults.take();
  if (fault) return fault;
  if (route.endpoint === 'unknown') return { status: 404, body: { detail: 'Not Found' } };
  if (!/^[0-9a-f-]{36}$/i.test(route.userId)) {
    return { status: 422, body: { detail: 'user_id: value is not a valid uuid' } };
  }
  const user = state.users.find((u) => u.userId === route.userId.toLowerCase());
  if (!user) return { status: 404, body: { detail: 'User not found' } };
  const now = state.now().getTime();
  const history = now - state.historyDays * DAY_MS;
  if (route.endpoint === '/v2/user/{user_id}') {
    return { status: 200, body: userDocument(user, new Date(history).toISOString()) };
  }
  const range = readRange(request.url.searchParams, now);
  if ('error' in range) return { status: 422, body: { detail: range.error } };
  // Nothing before the history or after now exists.
  const visible = { fromMs: Math.max(range.fromMs, history), toMs: Math.min(range.toMs, now) };
  if (route.endpoint === '/v2/timeseries/{user_id}/heartrate/grouped') {
    return heartRatePage(state, user, visible, request.url.searchParams.get('next_cursor'));
  }
  const kind = route.kind;
  if (!isJunctionSummaryKind(kind)) return { status: 404, body: { detail: 'Not Found' } };
  return { status: 200, body: { [kind]: summaryDocuments(state, user, kind, visible) } };
}

/** Summaries are filtered by their calendar day (their `date`, 00:00 UTC) and never paged. */
export function summaryDocuments(
  state: ApiState,
  user: SandboxUser,
  kind: JunctionSummaryKind,
  range: { fromMs: number; toMs: number },
): Doc[] {
  const now = state.now().getTime();
  const visible = {
    fromMs: Math.max(range.fromMs, now - state.historyDays * DAY_MS),
    toMs: Math.min(range.toMs, now),
  };
  const documents: Doc[] = [];
  for (const day of daysIn(visible)) {
    // A day's summary exists once the day is over locally (the morning sync).
    if (Date.parse(`${day}T00:00:00Z`) + DAY_MS - user.offsetSeconds * 1000 > now) continue;
    documents.push(...documentsFor(state.seed, user, kind, day, state.revisionOf));
  }
  return documents;
}

function heartRatePage(
  state: ApiState,
  user: SandboxUser,
  range: { fromMs: number; toMs: number },
  cursor: string | null,
): JsonReply {
  const offset = cursor ? decodeCursor(cursor, range) : 0;
  if (offset === undefined) return { status: 422, body: { detail: 'next_cursor: invalid cursor' } };
  const all = user.sources.heartrate.flatMap((source) =>
    heartRateSamples(state.seed, user, source, range.fromMs, range.toMs).map((sample) => ({
      source,
      sample,
    })),
  );
  const page = all.slice(offset, offset + HEART_RATE_PAGE_SIZE);
  const groups: Record<string, { source: Record<string, unknown>; data: unknown[] }[]> = {};
  for (const { source, sample } of page) {
    let group = groups[source]?.[0];
    if (!group) {
      group = { source: { provider: source, type: 'unknown' }, data: [] };
      groups[source] = [group];
    }
    group.data.push(sample);
  }
  const next =
    offset + HEART_RATE_PAGE_SIZE < all.length ? encodeCursor(offset + HEART_RATE_PAGE_SIZE, range) : null;
  return { status: 200, body: { groups, next: next, next_cursor: next } };
}

interface Route {
  endpoint: string;
  userId: string;
  kind: string;
}

function matchRoute(path: string): Route {
  let match = /^\/v2\/user\/([^/]+)$/.exec(path);
  if (match) return { endpoint: '/v2/user/{user_id}', userId: match[1] ?? '', kind: '' };
  match = /^\/v2\/summary\/([a-z_]+)\/([^/]+)$/.exec(path);
  if (match)
    return { endpoint: `/v2/summary/${match[1]}/{user_id}`, userId: match[2] ?? '', kind: match[1] ?? '' };
  match = /^\/v2\/timeseries\/([^/]+)\/heartrate\/grouped$/.exec(path);
  if (match)
    return {
      endpoint: '/v2/timeseries/{user_id}/heartrate/grouped',
      userId: match[1] ?? '',
      kind: 'heartrate',
    };
  return { endpoint: 'unknown', userId: '', kind: '' };
}
