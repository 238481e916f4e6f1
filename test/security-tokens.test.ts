// Secrets end to end. Users are connected, their tokens refreshed (once because the stored token
// lapsed, once because the provider expired it) and one grant is revoked; then:
// - a full read of the database (every row of every table, cast to text) holds no token in clear;
// - `wearhouse rotate-key` re-encrypts with a new key: before it, a worker with the new key and the
//   old one in TOKEN_ENCRYPTION_OLD_KEYS reads the old ciphertexts; after it, every ciphertext carries
//   the new key id and a worker with the new key alone refreshes and syncs;
// - no token, client secret or encryption key appears in logs, CLI output, workflow inputs/results or
//   any Temporal history of the run.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import { type ConnectionRow, decryptTokens } from '../store/connections.ts';
import { createTokenCipher, generateKeySpec } from '../store/crypto.ts';
import { scheduleId } from '../worker/schedules.ts';
import { day, expectCompleted, iso, printFigures } from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process.ts';

const run = promisify(execFile);
const CLIENT_SECRET = `client-secret-${randomBytes(12).toString('hex')}`;
const NEW_KEY = generateKeySpec('k2');

let stack: WhoopStack;
let oldKey: string;
const secrets = new Set<string>();
const output: string[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await startWhoopStack({
    worker: false,
    sandbox: { clientSecret: CLIENT_SECRET, requestsPerMinute: 3000 },
    env: { WHOOP_CLIENT_SECRET: CLIENT_SECRET },
  });
  oldKey = stack.temporal.tokenEncryptionKey;
  for (const spec of [oldKey, NEW_KEY]) secrets.add(spec.slice(spec.indexOf(':') + 1));
  secrets.add(CLIENT_SECRET);
  secrets.add(new URL(stack.db.url).password);
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await stack?.close();
});

async function connectUser(userId: string) {
  const tokens = stack.sandbox.control.issueTokens(userId);
  secrets.add(tokens.accessToken);
  secrets.add(tokens.refreshToken);
  // Stored as lapsed: the first window refreshes it.
  await stack.connectUserWith(userId, { ...tokens, expiresIn: 0 });
  await stack.temporal.client.schedule.getHandle(scheduleId('whoop', userId)).delete();
}

async function connections(): Promise<ConnectionRow[]> {
  return stack.db.sql<ConnectionRow[]>`select * from connections order by user_id`;
}

/** Every token stored now, in clear, remembered as a secret. */
async function rememberStoredTokens(keys: string[]): Promise<void> {
  const cipher = createTokenCipher(keys[0] as string, keys.slice(1));
  for (const row of await connections()) {
    const { accessToken, refreshToken } = decryptTokens(cipher, row);
    for (const token of [accessToken, refreshToken]) if (token) secrets.add(token);
  }
}

function backfill(userId: string, fromDays: number, toDays: number) {
  return startBackfill(stack.temporal.client, stack.temporal.config, {
    userId,
    provider: 'whoop',
    from: iso(day(fromDays)),
    to: iso(day(toDays)),
  });
}

function cli(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['bin/wearhouse.mjs', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: stack.db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      ...env,
    },
  }).then(({ stdout, stderr }) => {
    output.push(stdout, stderr);
    return stdout;
  });
}

function startWorkerProcess(env: Record<string, string>) {
  const worker = spawnWorkerProcess(stack.temporal, stack.db.url, { env });
  workers.push(worker);
  return worker;
}

/** Secrets found in `text`, shown by their first characters only. */
function leaked(text: string): string[] {
  return [...secrets].filter((secret) => text.includes(secret)).map((secret) => `${secret.slice(0, 4)}…`);
}

describe('tokens at rest', () => {
  it('after connecting and refreshing, no token is in clear anywhere in the database', async () => {
    const worker = await stack.temporal.startWorker();
    await connectUser('tara');
    await connectUser('ursula');
    stack.sandbox.control.revokeUser('ursula');
    expectCompleted(await (await backfill('tara', -60, -31)).result());
    await expect((await backfill('ursula', -60, -31)).result()).rejects.toThrow();
    await worker.shutdown();
    expect(stack.sandbox.control.stats().refreshes).toBe(1);
    await rememberStoredTokens([oldKey]);

    const rows = await connections();
    for (const row of rows) {
      expect(row.access_token_enc).toMatch(/^v1:test1:/);
      expect(row.refresh_token_enc).toMatch(/^v1:test1:/);
    }
    // Every row of every table, every column cast to text (pg_dump's view of the data).
    const tables = await stack.db.sql<{ schema: string; name: string }[]>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`;
    let scanned = 0;
    let dump = '';
    for (const table of tables) {
      const lines = await stack.db.sql.unsafe<{ line: string }[]>(
        `select t::text as line from "${table.schema}"."${table.name}" t`,
      );
      scanned += lines.length;
      dump += lines.map((l) => l.line).join('\n');
    }
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['connections', 'sync_runs', 'records']),
    );
    expect(dump).toContain('v1:test1:');
    expect(leaked(dump)).toEqual([]);
    printFigures('tokens-at-rest', {
      tables: tables.length,
      rowsScanned: scanned,
      secretsSearched: secrets.size,
    });
  });
});

describe('wearhouse rotate-key', () => {
  it('old key still reads before rotation; after it every ciphertext has the new key id and the worker syncs', async () => {
    // Before: a worker on the new key, with the old one as an old key, reads the old ciphertexts.
    const before = startWorkerProcess({ TOKEN_ENCRYPTION_KEY: NEW_KEY, TOKEN_ENCRYPTION_OLD_KEYS: oldKey });
    expectCompleted(await (await backfill('tara', -120, -61)).result());
    await before.kill('SIGTERM');
    for (const row of await connections()) expect(row.access_token_enc).toMatch(/^v1:test1:/);

    const stdout = await cli(['rotate-key'], {
      TOKEN_ENCRYPTION_KEY: NEW_KEY,
      TOKEN_ENCRYPTION_OLD_KEYS: oldKey,
    });
    expect(stdout).toMatch(/re-encrypted 2 connection\(s\) with key "k2"/);
    const rotated = await connections();
    for (const row of rotated) {
      expect(row.access_token_enc?.split(':')[1]).toBe('k2');
      expect(row.refresh_token_enc?.split(':')[1]).toBe('k2');
    }
    // Same tokens under the new key alone; the old key alone no longer reads them.
    const newOnly = createTokenCipher(NEW_KEY);
    for (const row of rotated) {
      const { accessToken, refreshToken } = decryptTokens(newOnly, row);
      expect(secrets.has(accessToken as string) && secrets.has(refreshToken as string)).toBe(true);
      expect(() => decryptTokens(createTokenCipher(oldKey), row)).toThrow(
        /key "k2", which is not configured/,
      );
    }
    expect(await cli(['rotate-key'], { TOKEN_ENCRYPTION_KEY: NEW_KEY })).toMatch(/re-encrypted 0 connection/);

    // After: a worker with the new key only syncs, and refreshes (the provider expires the token).
    const after = startWorkerProcess({ TOKEN_ENCRYPTION_KEY: NEW_KEY });
    const tara = rotated.find((r) => r.user_id === 'tara') as ConnectionRow;
    stack.sandbox.control.expireAccessToken(decryptTokens(newOnly, tara).accessToken as string);
    expectCompleted(await (await backfill('tara', -180, -121)).result());
    await after.kill('SIGTERM');
    expect(stack.sandbox.control.stats().refreshes).toBe(2);
    await rememberStoredTokens([NEW_KEY]);
    const [refreshed] = await stack.db.sql<{ access_token_enc: string; token_version: number }[]>`
      select access_token_enc, token_version from connections where user_id = 'tara'`;
    expect(refreshed?.access_token_enc).toMatch(/^v1:k2:/);
    printFigures('rotate-key', { connectionsRotated: rotated.length, refreshesTotal: 2 });
  });
});

describe('no secret outside the encrypted columns', () => {
  it('none in logs, CLI output, workflow inputs/results or any Temporal history', async () => {
    const histories: string[] = [];
    // Payloads (inputs, results, failures' details, heartbeats) come base64-encoded: search them decoded too.
    const decoded: string[] = [];
    const toText = (_key: string, value: unknown) => {
      if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
      if (typeof value === 'string' && value.length >= 8 && /^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
        decoded.push(Buffer.from(value, 'base64').toString('utf8'));
      }
      return value;
    };
    for await (const execution of stack.temporal.client.workflow.list({
      query: `TaskQueue = '${stack.temporal.config.TEMPORAL_TASK_QUEUE}'`,
    })) {
      const handle = stack.temporal.client.workflow.getHandle(execution.workflowId, execution.runId);
      histories.push(JSON.stringify(await handle.fetchHistory(), toText));
    }
    const history = [...histories, ...decoded].join('\n');
    // The histories are the real thing: inputs, activity results, and the revoked grant's failure.
    expect(histories.length).toBeGreaterThanOrEqual(4);
    expect(history).toContain('"userId":"tara"');
    expect(history).toContain('ReauthRequired');
    expect(leaked(history)).toEqual([]);

    const logs = [...stack.temporal.logLines, ...workers.flatMap((w) => w.output), ...output].join('\n');
    expect(stack.temporal.logLines.length).toBeGreaterThan(0);
    expect(logs).toMatch(/refresh|token/i);
    expect(leaked(logs)).toEqual([]);
    printFigures('no-secret-leaks', {
      secrets: secrets.size,
      histories: histories.length,
      historyBytes: history.length,
      logLines: logs.split('\n').length,
    });
  });
});
