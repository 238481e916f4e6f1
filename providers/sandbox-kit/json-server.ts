// A small node:http server for sandboxes: JSON in and out, a handler that may throw (a sandbox bug
// becomes a 500 for the client under test, never a dead process), and a close() that ends idle
// keep-alive sockets too, so tests shut down promptly.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface JsonRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** The raw body ('' when none). */
  body: string;
}

export type JsonHandler = (request: JsonRequest) => JsonReply | Promise<JsonReply>;

export interface RunningJsonServer {
  /** http://host:port, no trailing slash. */
  origin: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

export async function startJsonServer(
  handler: JsonHandler,
  options: { port?: number; host?: string } = {},
): Promise<RunningJsonServer> {
  let closing = false;
  const server = createServer((req, res) => {
    if (closing) {
      req.socket.destroy();
      return;
    }
    serve(handler, req, res).catch((error: unknown) => {
      send(res, { status: 500, body: { detail: `sandbox error: ${(error as Error)?.message ?? error}` } });
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
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

async function serve(handler: JsonHandler, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return send(res, { status: 413, body: { detail: 'body too large' } });
    chunks.push(chunk as Buffer);
  }
  const reply = await handler({
    method: req.method ?? 'GET',
    url: new URL(req.url ?? '/', 'http://sandbox.invalid'),
    headers: req.headers,
    body: Buffer.concat(chunks).toString('utf8'),
  });
  send(res, reply);
}

function send(res: ServerResponse, reply: JsonReply) {
  if (res.headersSent || res.destroyed) return;
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
