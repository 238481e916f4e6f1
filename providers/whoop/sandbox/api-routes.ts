// The WHOOP v2 data endpoints: route table and handlers. Handlers are pure over the sandbox state and
// return a status and body; the transport concerns (auth, budget, faults) live in api.ts.

import { driftedBody, isDrifted } from './drift.ts';
import { isMalformed, malformedBody } from './faults.ts';
import { basicProfile, bodyMeasurement } from './profile.ts';
import { page, parseCollectionQuery } from './query.ts';
import type { SandboxState } from './state.ts';
import type { StoredRecord, WhoopKind } from './types.ts';

export interface ApiResult {
  status: number;
  body?: unknown;
}

export interface ApiRequest {
  state: SandboxState;
  userKey: string;
  param: string;
  query: URLSearchParams;
}

interface Route {
  method: string;
  pattern: RegExp;
  /** The endpoint as counted in stats.byEndpoint. */
  key: string;
  handle: (req: ApiRequest) => ApiResult;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^\d{1,18}$/;

const notFound = (what: string): ApiResult => ({
  status: 404,
  body: { error: 'not_found', message: `${what} not found` },
});
const badRequest = (message: string): ApiResult => ({ status: 400, body: { error: 'bad_request', message } });

/** A record as served: its body, a broken copy (malformed-record fault) or a drifted one (schema drift). */
export function present(state: SandboxState, record: StoredRecord): Record<string, unknown> {
  if (isMalformed(state.seed, record, state.faults.malformedRecordRate))
    return malformedBody(state.seed, record);
  if (isDrifted(state.seed, record, state.faults.schemaDriftRate)) return driftedBody(state.seed, record);
  return record.body;
}

function collection(kind: WhoopKind) {
  return ({ state, userKey, query }: ApiRequest): ApiResult => {
    const parsed = parseCollectionQuery(query, state.nowMs());
    if (!parsed.ok) return badRequest(parsed.message);
    const result = page(state.user(userKey).kinds[kind], parsed.query);
    return {
      status: 200,
      body: { records: result.records.map((r) => present(state, r)), next_token: result.nextToken },
    };
  };
}

function single(kind: WhoopKind, idPattern: RegExp, label: string) {
  return ({ state, userKey, param }: ApiRequest): ApiResult => {
    if (!idPattern.test(param)) return badRequest(`${label} id '${param}' is not valid`);
    const record = state
      .user(userKey)
      .kinds[kind].get(kind === 'cycle' ? String(Number(param)) : param.toLowerCase());
    return record ? { status: 200, body: present(state, record) } : notFound(label);
  };
}

function recoveryForCycle({ state, userKey, param }: ApiRequest): ApiResult {
  if (!INTEGER.test(param)) return badRequest(`cycle id '${param}' is not valid`);
  const record = state.user(userKey).kinds.recovery.get(String(Number(param)));
  return record ? { status: 200, body: present(state, record) } : notFound('recovery');
}

function sleepForCycle({ state, userKey, param }: ApiRequest): ApiResult {
  if (!INTEGER.test(param)) return badRequest(`cycle id '${param}' is not valid`);
  const user = state.user(userKey);
  const sleepId = user.mainSleepByCycle.get(String(Number(param)));
  const record = sleepId ? user.kinds.sleep.get(sleepId) : undefined;
  return record ? { status: 200, body: present(state, record) } : notFound('sleep');
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/v2\/cycle$/, key: 'GET /v2/cycle', handle: collection('cycle') },
  {
    method: 'GET',
    pattern: /^\/v2\/cycle\/([^/]+)$/,
    key: 'GET /v2/cycle/{cycleId}',
    handle: single('cycle', INTEGER, 'cycle'),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/cycle\/([^/]+)\/recovery$/,
    key: 'GET /v2/cycle/{cycleId}/recovery',
    handle: recoveryForCycle,
  },
  {
    method: 'GET',
    pattern: /^\/v2\/cycle\/([^/]+)\/sleep$/,
    key: 'GET /v2/cycle/{cycleId}/sleep',
    handle: sleepForCycle,
  },
  { method: 'GET', pattern: /^\/v2\/recovery$/, key: 'GET /v2/recovery', handle: collection('recovery') },
  {
    method: 'GET',
    pattern: /^\/v2\/activity\/sleep$/,
    key: 'GET /v2/activity/sleep',
    handle: collection('sleep'),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/activity\/sleep\/([^/]+)$/,
    key: 'GET /v2/activity/sleep/{sleepId}',
    handle: single('sleep', UUID, 'sleep'),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/activity\/workout$/,
    key: 'GET /v2/activity/workout',
    handle: collection('workout'),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/activity\/workout\/([^/]+)$/,
    key: 'GET /v2/activity/workout/{workoutId}',
    handle: single('workout', UUID, 'workout'),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/user\/profile\/basic$/,
    key: 'GET /v2/user/profile/basic',
    handle: ({ state, userKey }) => ({ status: 200, body: basicProfile(state.user(userKey).params) }),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/user\/measurement\/body$/,
    key: 'GET /v2/user/measurement/body',
    handle: ({ state, userKey }) => ({ status: 200, body: bodyMeasurement(state.user(userKey).params) }),
  },
  {
    method: 'DELETE',
    pattern: /^\/v2\/user\/access$/,
    key: 'DELETE /v2/user/access',
    handle: ({ state, userKey }) => {
      state.tokens.revokeUser(userKey);
      return { status: 204 };
    },
  },
];

/** A malformed %-escape stays as it is and then fails the id check (400), rather than crashing (500). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export type RouteMatch = { route: Route; param: string } | { key: string; status: 404 | 405 };

export function matchRoute(method: string, path: string): RouteMatch {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method === method) return { route, param: safeDecode(m[1] ?? '') };
  }
  return pathMatched
    ? { key: `${method} (method not allowed)`, status: 405 }
    : { key: `${method} (unknown path)`, status: 404 };
}
