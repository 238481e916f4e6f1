// HTTP face of the control surface under /_sandbox/, so another process (the demo, a benchmark) can
// drive the sandbox. Never counted in stats, never rate-limited, never faulted.
//
//   POST /_sandbox/users/:key/tokens                   → { accessToken, refreshToken, expiresIn }
//   POST /_sandbox/users/:key/revoke                   → 204
//   POST /_sandbox/users/:key/subscription {active}    → 204
//   POST /_sandbox/users/:key/mutate {kind, day}       → { ids }
//   POST /_sandbox/users/:key/delete {kind, day}       → { ids }
//   GET  /_sandbox/users/:key/documents/:kind?from&to  → { documents }
//   POST /_sandbox/tokens/expire {accessToken}         → 204
//   GET|POST /_sandbox/faults, GET /_sandbox/stats, POST /_sandbox/stats/reset, GET /_sandbox/health
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readJson, sendEmpty, sendJson } from '../../sandbox-kit/http.ts';
import type { OuraSandboxState } from './state.ts';
import type { DailyDocumentKind, OuraSandboxControl, OuraSandboxKind } from './types.ts';

const DayBody = z.object({ kind: z.string(), day: z.string() });
const SubscriptionBody = z.object({ active: z.boolean() });
const ExpireBody = z.object({ accessToken: z.string().min(1) });

async function body<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await readJson(req));
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  return parsed.data;
}

export async function handleControl(
  state: OuraSandboxState,
  control: OuraSandboxControl,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    const user =
      /^\/_sandbox\/users\/([^/]+)\/(tokens|revoke|subscription|mutate|delete|documents\/([^/]+))$/.exec(
        path,
      );
    if (user?.[1] && user[2]) {
      const key = decodeURIComponent(user[1]);
      const action = user[2];
      if (action.startsWith('documents/') && method === 'GET') {
        const kind = decodeURIComponent(user[3] ?? '') as OuraSandboxKind;
        const documents = control.documents(key, kind, query.get('from') ?? '', query.get('to') ?? '');
        return sendJson(res, 200, { documents });
      }
      if (method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
      if (action === 'tokens') return sendJson(res, 200, control.issueTokens(key));
      if (action === 'revoke') {
        control.revokeUser(key);
        return sendEmpty(res, 204);
      }
      if (action === 'subscription') {
        control.setSubscription(key, (await body(req, SubscriptionBody)).active);
        return sendEmpty(res, 204);
      }
      const { kind, day } = await body(req, DayBody);
      if (action === 'mutate')
        return sendJson(res, 200, { ids: control.mutate(key, kind as DailyDocumentKind, day) });
      return sendJson(res, 200, { ids: control.deleteDocuments(key, kind as DailyDocumentKind, day) });
    }
    switch (`${method} ${path}`) {
      case 'POST /_sandbox/tokens/expire':
        control.expireAccessToken((await body(req, ExpireBody)).accessToken);
        return sendEmpty(res, 204);
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
    return sendJson(res, 404, { error: `no control route ${method} ${path}` });
  } catch (error) {
    // Bad input from the caller (unknown kind, invalid fault value, bad body) is a 400, not a crash.
    return sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}
