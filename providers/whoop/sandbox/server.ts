// The WHOOP sandbox HTTP server: dispatches to the data API (/developer/...), the OAuth endpoints
// (/oauth/oauth2/...) and the control endpoints (/_sandbox/...) on the shared sandbox engine
// (providers/sandbox-kit), which tracks timers and hung requests so close() ends promptly.

import { sendJson } from '../../sandbox-kit/http.ts';
import { handleAuthorize, handleToken } from '../../sandbox-kit/oauth.ts';
import { startSandboxServer } from '../../sandbox-kit/server.ts';

export { HANG_LIMIT_MS } from '../../sandbox-kit/server.ts';

import { handleApi } from './api.ts';
import { createControl } from './control.ts';
import { handleControl } from './control-routes.ts';
import { AUTH_PATH, OAUTH_ROUTES, TOKEN_PATH } from './oauth.ts';
import { SandboxState } from './state.ts';
import type { WhoopSandbox, WhoopSandboxOptions } from './types.ts';

const API_PREFIX = '/developer';

export async function startWhoopSandbox(options: WhoopSandboxOptions = {}): Promise<WhoopSandbox> {
  const state = new SandboxState(options);
  const control = createControl(state);

  const server = await startSandboxServer(options, async (req, res, url, life) => {
    const path = url.pathname;
    if (path.startsWith('/_sandbox/')) return handleControl(state, control, req, res, path, url.searchParams);
    if (path === TOKEN_PATH) return handleToken(state, OAUTH_ROUTES, req, res);
    if (path === AUTH_PATH) return handleAuthorize(state, OAUTH_ROUTES, req, res, url.searchParams);
    if (path.startsWith(`${API_PREFIX}/`)) {
      return handleApi(state, req, res, path.slice(API_PREFIX.length), url.searchParams, life);
    }
    state.hit(`${req.method} (unknown path)`);
    sendJson(res, 404, { error: 'not_found', message: `no route for ${req.method} ${path}` });
  });

  return {
    url: `${server.origin}${API_PREFIX}`,
    tokenUrl: `${server.origin}${TOKEN_PATH}`,
    authUrl: `${server.origin}${AUTH_PATH}`,
    control,
    close: () => server.close(),
  };
}
