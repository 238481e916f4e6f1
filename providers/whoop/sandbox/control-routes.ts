// HTTP face of the control surface under /_sandbox/, so another process (the demo, a benchmark) can
// drive the sandbox. Never counted in stats, never rate-limited, never faulted.
//
//   POST /_sandbox/users/:key/tokens         → { accessToken, refreshToken, expiresIn }
//   POST /_sandbox/users/:key/rescore        → { rescored }
//   POST /_sandbox/users/:key/extend         → { cycle, sleep, recovery, workout } (records added)
//   POST /_sandbox/users/:key/revoke         → 204
//   POST /_sandbox/users/:key/delete         { kind, count, withinDays? } → { ids }
//   GET  /_sandbox/users/:key/records/:kind  ?start&end → { records }
//   POST /_sandbox/tokens/expire             { accessToken } → 204
//   GET  /_sandbox/faults, POST /_sandbox/faults (SandboxFaults JSON; replaces the current set)
//   GET  /_sandbox/stats, POST /_sandbox/stats/reset
//   GET  /_sandbox/health

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readJson, sendEmpty, sendJson } from '../../sandbox-kit/http.ts';
import { parseInstant } from './query.ts';
import type { SandboxState } from './state.ts';
import type { SandboxControl, WhoopKind } from './types.ts';

const DeleteBody = z.object({
  kind: z.enum(['cycle', 'sleep', 'recovery', 'workout']),
  count: z.number().int().min(0),
  withinDays: z.number().positive().optional(),
});
const ExpireBody = z.object({ accessToken: z.string().min(1) });

function instant(query: URLSearchParams, name: string): Date | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const ms = parseInstant(raw);
  if (ms === undefined) throw new Error(`${name} must be an ISO 8601 date-time`);
  return new Date(ms);
}

async function body<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await readJson(req));
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  return parsed.data;
}

export async function handleControl(
  state: SandboxState,
  control: SandboxControl,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    const user = /^\/_sandbox\/users\/([^/]+)\/(tokens|rescore|extend|revoke|delete|records\/([^/]+))$/.exec(
      path,
    );
    if (user?.[1] && user[2]) {
      const key = decodeURIComponent(user[1]);
      const action = user[2];
      if (action.startsWith('records/') && method === 'GET') {
        const kind = decodeURIComponent(user[3] ?? '') as WhoopKind;
        const records = control.records(key, kind, instant(query, 'start'), instant(query, 'end'));
        return sendJson(res, 200, { records });
      }
      if (method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
      if (action === 'tokens') return sendJson(res, 200, control.issueTokens(key));
      if (action === 'rescore') return sendJson(res, 200, control.rescore(key));
      if (action === 'extend') return sendJson(res, 200, control.extendToNow(key));
      if (action === 'revoke') {
        control.revokeUser(key);
        return sendEmpty(res, 204);
      }
      if (action === 'delete') {
        const { kind, count, withinDays } = await body(req, DeleteBody);
        return sendJson(res, 200, { ids: control.deleteRecords(key, kind, count, withinDays) });
      }
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'POST /_sandbox/tokens/expire': {
        control.expireAccessToken((await body(req, ExpireBody)).accessToken);
        return sendEmpty(res, 204);
      }
      case 'GET /_sandbox/faults':
        return sendJson(res, 200, state.faults);
      case 'POST /_sandbox/faults': {
        const faults = await readJson(req);
        if (typeof faults !== 'object' || faults === null) throw new Error('faults must be a JSON object');
        control.setFaults(faults);
        return sendJson(res, 200, state.faults);
      }
      case 'GET /_sandbox/stats':
        return sendJson(res, 200, control.stats());
      case 'POST /_sandbox/stats/reset':
        control.resetStats();
        return sendEmpty(res, 204);
      case 'GET /_sandbox/health':
        return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: `no control route ${route}` });
  } catch (error) {
    // Bad input from the caller (unknown kind, invalid fault value, bad body) is a 400, not a crash.
    const message = error instanceof Error ? error.message : String(error);
    return sendJson(res, 400, { error: message });
  }
}
