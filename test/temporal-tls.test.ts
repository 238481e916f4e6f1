// Temporal Cloud or a secured cluster: the worker, the client and the CLI's connection take TLS
// (server CA, mTLS client certificate) and an API key from Temporal's own variable names. A TLS proxy
// that checks the key and the client certificate stands in front of the real dev server; a real
// worker polls through it and runs an Apple Health import end to end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../worker/config.ts';
import { temporalConnectionOptions } from '../worker/temporal-connection.ts';
import { writeExportXml } from './support/apple-export/write.ts';
import { runImport, storedKinds } from './support/apple-import.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { createTestTemporal, type TestTemporal } from './support/temporal.ts';
import {
  createTestCertificates,
  startTlsProxy,
  type TestCertificates,
  type TlsProxy,
} from './support/temporal-tls-proxy.ts';

const API_KEY = 'test-api-key-0123456789';
let certificates: TestCertificates;
let proxy: TlsProxy;
let db: TestDatabase;
let temporal: TestTemporal;
let dir: string;

/** An error's message with its causes', the way the CLI prints them. */
function causes(error: unknown): string {
  const messages: string[] = [];
  for (let e = error as Error | undefined; e; e = e.cause as Error | undefined) messages.push(e.message);
  return messages.join(': ');
}

function secureEnv(address: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_API_KEY: API_KEY,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certificates.caPath,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certificates.clientCertPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certificates.clientKeyPath,
    ...overrides,
  };
}

beforeAll(async () => {
  certificates = createTestCertificates();
  proxy = await startTlsProxy({
    upstream: inject('temporalAddress'),
    apiKey: API_KEY,
    certificates,
    requireClientCertificate: true,
  });
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'wearhouse-tls-import-'));
});

afterAll(async () => {
  await temporal?.close();
  await proxy?.close();
  await db?.close();
  certificates?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a worker and a client behind TLS, mTLS and an API key', () => {
  it('polls through the proxy and runs an import to completion', async () => {
    temporal = await createTestTemporal({
      databaseUrl: db.url,
      temporalAddress: proxy.address,
      env: secureEnv(proxy.address),
    });
    await temporal.startWorker();
    const path = join(dir, 'export.xml');
    const stats = await writeExportXml(path, { seed: 7, days: 2, heartRatePerDay: 10 });
    const progress = await runImport(temporal.client, temporal.config.TEMPORAL_TASK_QUEUE, {
      userId: 'tls-user',
      path,
    });
    expect(progress.done).toBe(true);
    const stored = await storedKinds(db.sql, 'tls-user');
    // The bare XML has no route files (only the zip carries them).
    for (const kind of ['record', 'workout', 'correlation', 'activity_summary', 'me']) {
      expect(stored[kind], kind).toBe(stats.kinds[kind]);
    }
    // Every call went through the proxy with the key: the worker's polls and the client's calls.
    expect(proxy.counts.forwarded).toBeGreaterThan(5);
    expect(proxy.counts.refused).toBe(0);
  });

  it('a wrong API key is refused by the server, with its answer in the error', async () => {
    const config = loadConfig(secureEnv(proxy.address, { TEMPORAL_API_KEY: 'wrong-key' }));
    const refusedBefore = proxy.counts.refused;
    const client = await Connection.connect(temporalConnectionOptions(config, proxy.address)).catch(causes);
    expect(client).toMatch(/invalid API key/);
    const worker = await NativeConnection.connect(temporalConnectionOptions(config, proxy.address)).catch(
      causes,
    );
    expect(worker).toMatch(/invalid API key|Unauthenticated/i);
    expect(proxy.counts.refused).toBeGreaterThan(refusedBefore);
  });

  it('without the CA the server certificate is not trusted', async () => {
    const env = secureEnv(proxy.address);
    delete env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
    const config = loadConfig(env);
    const forwardedBefore = proxy.counts.forwarded;
    await expect(
      NativeConnection.connect(temporalConnectionOptions(config, proxy.address)),
    ).rejects.toThrow();
    expect(proxy.counts.forwarded).toBe(forwardedBefore);
  });
});

describe('connection settings are checked before connecting', () => {
  it('plain gRPC when nothing secure is set (the embedded dev server)', () => {
    expect(temporalConnectionOptions(loadConfig({}), '127.0.0.1:7233')).toEqual({
      address: '127.0.0.1:7233',
    });
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_TLS: 'false' }), '127.0.0.1:7233')).toEqual({
      address: '127.0.0.1:7233',
    });
  });

  it('an API key turns TLS on and is passed as the key, not as metadata text', () => {
    const options = temporalConnectionOptions(
      loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }),
      'ns.acct.tmprl.cloud:7233',
    );
    expect(options).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', apiKey: 'k', tls: true });
  });

  it('names the variable for each mistake, never its value', () => {
    const attempt = (env: Record<string, string>) => {
      try {
        temporalConnectionOptions(loadConfig(env), env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).message;
      }
      throw new Error('accepted');
    };
    expect(attempt({ TEMPORAL_API_KEY: 'secret-key-value' })).toMatch(/TEMPORAL_ADDRESS is not set/);
    expect(attempt({ TEMPORAL_API_KEY: 'secret-key-value' })).not.toMatch(/secret-key-value/);
    expect(
      attempt({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: certificates.clientCertPath }),
    ).toMatch(/TEMPORAL_TLS_CLIENT_KEY_PATH \(or TEMPORAL_TLS_CLIENT_KEY_DATA\) is required/);
    expect(
      attempt({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nowhere/ca.pem' }),
    ).toMatch(/TEMPORAL_TLS_SERVER_CA_CERT_PATH names a file this process cannot read \(ENOENT\)/);
    expect(() => loadConfig({ TEMPORAL_TLS: 'yes please' })).toThrow(/TEMPORAL_TLS must be true or false/);
  });
});
