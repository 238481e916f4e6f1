// An HTTP proxy in front of the WHOOP sandbox that answers some users' data requests with a broken
// response (chosen per access token) and passes everything else through unchanged, over real HTTP.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BrokenResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface BadProxy {
  /** The API base to give the worker (WHOOP_API_URL). */
  url: string;
  /** Where to forward: the sandbox's API base, known once it runs. */
  setTarget(apiUrl: string): void;
  /** Requests bearing this access token get `response`. */
  breakFor(accessToken: string, response: BrokenResponse): void;
  /** Requests bearing this access token pass through again. */
  mend(accessToken: string): void;
  /** Broken responses served. */
  served(): number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startBadProxy(): Promise<BadProxy> {
  let target = '';
  let brokenServed = 0;
  const broken = new Map<string, BrokenResponse>();
  const server = createServer((req, res) => {
    const token = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const bad = broken.get(token);
    if (bad) {
      brokenServed++;
      res.writeHead(bad.status, { 'content-type': bad.contentType }).end(bad.body);
      return;
    }
    const url = target + (req.url ?? '/').replace(/^\/developer/, '');
    readBody(req)
      .then(async (body) => {
        const upstream = await fetch(url, {
          method: req.method,
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(
              (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host',
            ),
          ),
          body: body.length ? body : undefined,
        });
        const headers: Record<string, string> = {};
        upstream.headers.forEach((value, key) => {
          if (key !== 'content-length' && key !== 'transfer-encoding' && key !== 'connection')
            headers[key] = value;
        });
        res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
      })
      .catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/developer`,
    setTarget(apiUrl) {
      target = apiUrl.replace(/\/+$/, '');
    },
    breakFor(accessToken, response) {
      broken.set(accessToken, response);
    },
    mend(accessToken) {
      broken.delete(accessToken);
    },
    served: () => brokenServed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
