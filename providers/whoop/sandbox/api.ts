// One data request through the layers a real API puts in front of its handlers, in this order:
// injected latency → bearer auth (401s cannot be attributed to the app, so they spend no budget) →
// app budget (429, spends nothing) → network faults (reset, hang) → storm 429 → injected 5xx →
// handler → truncated body. Every response after auth carries the X-RateLimit-* headers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { planFaults, truncate } from '../../sandbox-kit/faults.ts';
import { sendEmpty, sendJson, sendRaw } from '../../sandbox-kit/http.ts';
import type { Lifecycle } from '../../sandbox-kit/server.ts';
import { matchRoute } from './api-routes.ts';
import type { SandboxState } from './state.ts';

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function sendServerError(
  res: ServerResponse,
  status: 500 | 502 | 503,
  headers: Record<string, string>,
): void {
  // Gateways answer with HTML, services with JSON: clients must classify by status, not parse the body.
  if (status === 502) {
    sendRaw(res, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html', headers);
  } else if (status === 503) {
    sendRaw(res, 503, 'Service Unavailable', 'text/plain', { ...headers, 'Retry-After': '1' });
  } else {
    sendJson(
      res,
      500,
      { error: 'internal_error', message: 'Server error occurred while making request' },
      headers,
    );
  }
}

export async function handleApi(
  state: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  life: Lifecycle,
): Promise<void> {
  const match = matchRoute(req.method ?? 'GET', path);
  state.hit('route' in match ? match.route.key : match.key);
  const faults = planFaults(state.seed, state.dataRequests++, state.faults);
  if (state.faults.latencyMs) await life.delay(state.faults.latencyMs);
  if (res.destroyed) return;

  const token = bearer(req);
  const userKey = token ? state.tokens.authenticate(token) : undefined;
  if (!userKey) {
    state.stats.unauthorized++;
    sendJson(
      res,
      401,
      { error: 'unauthorized', message: 'Invalid authorization' },
      {
        ...state.budget.headers(),
        'WWW-Authenticate': 'Bearer error="invalid_token"',
      },
    );
    return;
  }

  const budget = state.budget.take();
  if (!budget.allowed) {
    state.stats.budget429++;
    sendJson(
      res,
      429,
      { error: 'rate_limited', message: 'Request rejected due to rate limiting' },
      {
        ...budget.headers,
        'Retry-After': String(budget.retryAfter ?? 60),
      },
    );
    return;
  }
  const headers = budget.headers;
  if (faults.reset) {
    req.socket.destroy();
    return;
  }
  if (faults.timeout) {
    life.hang(req, res);
    return;
  }
  if (faults.storm429) {
    state.stats.injected429++;
    sendJson(
      res,
      429,
      { error: 'rate_limited', message: 'Request rejected due to rate limiting' },
      {
        ...headers,
        'Retry-After': String(faults.stormRetryAfter),
      },
    );
    return;
  }
  if (faults.serverError) {
    state.stats.injected5xx++;
    sendServerError(res, faults.serverError, headers);
    return;
  }
  if (!('route' in match)) {
    sendJson(
      res,
      match.status,
      { error: 'not_found', message: `no route for ${req.method} ${path}` },
      headers,
    );
    return;
  }

  const result = match.route.handle({ state, userKey, param: match.param, query });
  if (result.status === 204) {
    sendEmpty(res, 204, headers);
    return;
  }
  let text = JSON.stringify(result.body);
  if (faults.truncateAt !== undefined && result.status === 200) text = truncate(text, faults.truncateAt);
  sendRaw(res, result.status, text, 'application/json; charset=utf-8', headers);
}
