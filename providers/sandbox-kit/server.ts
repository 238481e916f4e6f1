// The HTTP bootstrap every provider sandbox shares: listen, dispatch to the provider's routes, turn a
// sandbox bug into a 500 (never a crashed process), and track every timer and hung request so close()
// ends promptly even with 'timeout' faults in flight.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from './http.ts';

/** A hung ('timeout' fault) request is dropped after this long even if the client waits forever. */
export const HANG_LIMIT_MS = 60_000;

/** What the server lends a request: tracked timers and sockets, so close() can end them. */
export interface Lifecycle {
  /** Resolves after `ms`, unless the server closes first (then never). */
  delay(ms: number): Promise<void>;
  /** Leaves the request unanswered until the client gives up or 60 s pass. */
  hang(req: IncomingMessage, res: ServerResponse): void;
}

export type Dispatch = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  life: Lifecycle,
) => Promise<void>;

export interface SandboxServer {
  /** http://host:port, no trailing slash. */
  origin: string;
  close(): Promise<void>;
}

export async function startSandboxServer(
  options: { port?: number; host?: string },
  dispatch: Dispatch,
): Promise<SandboxServer> {
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

  const server = createServer((req, res) => {
    if (closing) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    dispatch(req, res, url, life).catch((error: unknown) => {
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
  return {
    origin: `http://${host}:${address.port}`,
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
