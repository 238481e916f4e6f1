// The Oura v2 sandbox on the shared engine (providers/sandbox-kit): the data API under /v2/, OAuth at
// /oauth/authorize and /oauth/token (the spec's paths), webhook subscriptions under
// /v2/webhook/subscription (sandbox/webhooks.ts), and the control routes under /_sandbox/.
import { sendJson } from '../../sandbox-kit/http.ts';
import { handleAuthorize, handleToken, type OAuthRoutes } from '../../sandbox-kit/oauth.ts';
import { startSandboxServer } from '../../sandbox-kit/server.ts';
import { handleApi } from './api.ts';
import { createControl } from './control.ts';
import { handleControl } from './control-routes.ts';
import { OuraSandboxState } from './state.ts';
import type { OuraSandbox, OuraSandboxOptions } from './types.ts';
import { SUBSCRIPTION_PATH } from './webhooks.ts';

const OAUTH: OAuthRoutes = { tokenPath: '/oauth/token', authorizePath: '/oauth/authorize' };

export async function startOuraSandbox(options: OuraSandboxOptions = {}): Promise<OuraSandbox> {
  const state = new OuraSandboxState(options);
  const control = createControl(state);
  const server = await startSandboxServer(options, async (req, res, url, life) => {
    const path = url.pathname;
    if (path.startsWith('/_sandbox/')) return handleControl(state, control, req, res, path, url.searchParams);
    if (path === OAUTH.tokenPath) return handleToken(state, OAUTH, req, res);
    if (path === OAUTH.authorizePath) return handleAuthorize(state, OAUTH, req, res, url.searchParams);
    if (path.startsWith(SUBSCRIPTION_PATH)) {
      state.hit(`${req.method} ${SUBSCRIPTION_PATH}`);
      return state.webhooks.handle(req, res, path);
    }
    if (path.startsWith('/v2/')) return handleApi(state, req, res, path, url.searchParams, life);
    state.hit(`${req.method} (unknown path)`);
    sendJson(res, 404, { detail: 'Not Found' });
  });
  return {
    url: server.origin,
    tokenUrl: `${server.origin}${OAUTH.tokenPath}`,
    authorizeUrl: `${server.origin}${OAUTH.authorizePath}`,
    control,
    close: () => server.close(),
  };
}
