// The sandbox HTTP server: dispatches to the data API (/developer/...), the OAuth endpoints
// (/oauth/oauth2/...) and the control endpoints (/_sandbox/...), and tracks every timer and hung
// request so close() ends promptly even with 'timeout' faults in flight.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApi, type Lifecycle } from './api.ts';
import { createControl } from './control.ts';
import { handleControl } from './control-routes.ts';
import { sendJson } from './http.ts';
import { AUTH_PATH, handleAuthorize, handleToken, TOKEN_PATH } from './oauth.ts';
import { SandboxState } from './state.ts';
import type { WhoopSandbox, WhoopSandboxOptions } from './types.ts';

const API_PREFIX = '/developer';
/** A hung ('timeout' fault) request is dropped after this long even if the client waits forever. */
export const HANG_LIMIT_MS = 60_000;

export async function startWhoopSandbox(options: WhoopSandboxOptions = {}): Promise<WhoopSandbox> {
  const state = new SandboxState(options);
  const control = createControl(state);
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const life: Lifecycle = {
    delay(ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, ms);
        timers.add(timer);
      });
    },
    hang(req, res) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        req.socket.destroy();
      }, HANG_LIMIT_MS);
      timers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    },
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname;
    if (path.startsWith('/_sandbox/')) return handleControl(state, control, req, res, path, url.searchParams);
    if (path === TOKEN_PATH) return handleToken(state, req, res);
    if (path === AUTH_PATH) return handleAuthorize(state, req, res, url.searchParams);
    if (path.startsWith(`${API_PREFIX}/`)) {
      return handleApi(state, req, res, path.slice(API_PREFIX.length), url.searchParams, life);
    }
    state.hit(`${req.method} (unknown path)`);
    sendJson(res, 404, { error: 'not_found', message: `no route for ${req.method} ${path}` });
  }

  const server = createServer((req, res) => {
    if (closing) {
      req.socket.destroy();
      return;
    }
    dispatch(req, res).catch((error: unknown) => {
      // A bug in the sandbox must surface as a 500 to the client under test, not kill the process.
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, 500, { error: 'sandbox_error', message });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;

  return {
    url: `${origin}${API_PREFIX}`,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    authUrl: `${origin}${AUTH_PATH}`,
    control,
    close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets and hung requests alike: nothing may keep the server open.
        server.closeAllConnections();
      });
    },
  };
}
