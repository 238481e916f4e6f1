// A stand-in for Temporal Cloud in front of the plain dev server: an HTTP/2 TLS endpoint that checks
// an API key (and, when asked, a client certificate) on every gRPC call and forwards it to the dev
// server. Certificates come from openssl: a CA, a server certificate for localhost and a client one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  caPath: string;
  serverCert: string;
  serverKey: string;
  clientCertPath: string;
  clientKeyPath: string;
  ca: string;
  remove(): void;
}

/** A throwaway CA that signs a localhost server certificate and a client certificate. */
export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'wearhouse-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=wearhouse test CA',
  );
  const leaf = (name: string, subject: string, extensions: string) => {
    writeFileSync(at(`${name}.ext`), extensions);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  };
  leaf('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', '/CN=wearhouse-worker', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caPath: at('ca.pem'),
    ca: readFileSync(at('ca.pem'), 'utf8'),
    serverCert: readFileSync(at('server.pem'), 'utf8'),
    serverKey: readFileSync(at('server.key'), 'utf8'),
    clientCertPath: at('client.pem'),
    clientKeyPath: at('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsProxy {
  address: string;
  /** gRPC calls forwarded (key and certificate accepted) and refused. */
  counts: { forwarded: number; refused: number };
  close(): Promise<void>;
}

const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'http2-settings']);

export async function startTlsProxy(options: {
  upstream: string;
  apiKey: string;
  certificates: TestCertificates;
  requireClientCertificate: boolean;
}): Promise<TlsProxy> {
  const counts = { forwarded: 0, refused: 0 };
  const upstream = http2.connect(`http://${options.upstream}`);
  const server = http2.createSecureServer({
    key: options.certificates.serverKey,
    cert: options.certificates.serverCert,
    ca: options.certificates.ca,
    requestCert: options.requireClientCertificate,
    rejectUnauthorized: options.requireClientCertificate,
    ALPNProtocols: ['h2'],
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    if (headers.authorization !== `Bearer ${options.apiKey}`) {
      counts.refused += 1;
      // A trailers-only gRPC answer: UNAUTHENTICATED, as Temporal Cloud answers a bad key.
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'invalid API key',
        },
        { endStream: true },
      );
      return;
    }
    counts.forwarded += 1;
    const forwarded: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === ':scheme' || name === ':authority' || HOP_HEADERS.has(name)) continue;
      forwarded[name] = value;
    }
    const request = upstream.request(forwarded);
    stream.pipe(request);
    let trailers: http2.IncomingHttpHeaders = {};
    request.on('trailers', (received) => {
      trailers = received;
    });
    request.on('response', (responseHeaders, flags) => {
      const endsHere = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      const { ':status': status, ...rest } = responseHeaders;
      if (endsHere) {
        stream.respond({ ':status': status, ...rest }, { endStream: true });
        return;
      }
      stream.respond({ ':status': status, ...rest }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(withoutPseudo(trailers)));
      request.pipe(stream);
    });
    request.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('error', () => request.close(http2.constants.NGHTTP2_CANCEL));
    stream.on('close', () => {
      if (!request.closed) request.close(http2.constants.NGHTTP2_CANCEL);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `localhost:${port}`,
    counts,
    async close() {
      // Long polls keep sessions open; closing the server would wait for them.
      for (const session of sessions) session.destroy();
      upstream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function withoutPseudo(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':')));
}
