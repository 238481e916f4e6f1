// Bad input from every side — workflow inputs, CLI arguments, environment values, provider
// responses — gets a clear error naming what is wrong, writes nothing partial, and leaves the worker
// serving everyone else: a good user's backfill runs on the same worker throughout and completes.
// (Cases already covered elsewhere are not repeated: whoop-backfill.test.ts, cli.test.ts,
// config.test.ts, whoop-client.test.ts, whoop-mapping.test.ts.)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import { ConfigError, loadConfig } from '../worker/config.ts';
import { scheduleId } from '../worker/schedules.ts';
import { type BadProxy, startBadProxy } from './support/bad-proxy.ts';
import {
  DAY_MS,
  day,
  expectCompleted,
  expectStoredEqualsServed,
  iso,
  printFigures,
} from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { waitUntil } from './support/worker-process.ts';

const run = promisify(execFile);
const GOOD = 'nina';
const from = day(-150);
const to = day(-31);

let proxy: BadProxy;
let stack: WhoopStack;
let good: WorkflowHandle;
const figures = {
  workflowInputs: 0,
  cliArguments: 0,
  environment: 0,
  providerResponses: 0,
};

beforeAll(async () => {
  proxy = await startBadProxy();
  stack = await startWhoopStack({ env: { WHOOP_API_URL: proxy.url }, sandbox: { requestsPerMinute: 3000 } });
  proxy.setTarget(stack.sandbox.url);
  await connect(GOOD);
  good = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: GOOD,
    provider: 'whoop',
    from: iso(from),
    to: iso(to),
  });
});
afterAll(async () => {
  printFigures('bad-input', figures);
  await stack?.close();
  await proxy?.close();
});

async function connect(userId: string) {
  const tokens = stack.sandbox.control.issueTokens(userId);
  await stack.connectUserWith(userId, tokens);
  await stack.temporal.client.schedule.getHandle(scheduleId('whoop', userId)).delete();
  return tokens;
}

/** The innermost failure of a failed workflow (the activity's or the workflow's own). */
async function failureOf(handle: WorkflowHandle): Promise<{ type?: string; message: string }> {
  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  let failure = (error as WorkflowFailedError).cause as { type?: string; message: string; cause?: unknown };
  while (failure.cause) failure = failure.cause as typeof failure;
  return failure;
}

async function written(userId: string) {
  const [row] = await stack.db.sql<
    { records: number; coverage: number; quarantine: number; users: number }[]
  >`
    select (select count(*)::int from records where user_id = ${userId}) as records,
           (select count(*)::int from coverage where user_id = ${userId}) as coverage,
           (select count(*)::int from quarantine where user_id = ${userId}) as quarantine,
           (select count(*)::int from users where id = ${userId}) as users`;
  return row;
}

describe('workflow inputs (started straight through Temporal, as `temporal workflow start` would)', () => {
  const base = { userId: GOOD, provider: 'whoop', from: '2024-01-01', to: '2024-02-01' };
  const hugeKinds = Array.from({ length: 20_000 }, (_, i) => `kind-${i}`);
  const cases: [string, string, unknown, RegExp][] = [
    ['backfill', 'a string', 'alice', /input must be one JSON object/],
    ['backfill', 'a number', 42, /input must be one JSON object/],
    ['backfill', 'null', null, /input must be one JSON object/],
    ['backfill', 'an array', [base], /input must be one JSON object/],
    ['backfill', 'no fields', {}, /userId: userId is required/],
    ['backfill', 'no from', { ...base, from: undefined }, /from is required/],
    ['backfill', 'to of the wrong type', { ...base, to: 20240201 }, /to is required: an ISO date/],
    ['backfill', 'userId a number', { ...base, userId: 7 }, /userId: userId is required|expected string/],
    ['backfill', 'userId with SQL', { ...base, userId: "x'); drop table records; --" }, /userId may hold/],
    ['backfill', 'userId with quotes', { ...base, userId: 'o"brien\\' }, /userId may hold/],
    ['backfill', 'userId too long', { ...base, userId: 'a'.repeat(200) }, /1 to 128 characters/],
    ['backfill', 'kinds a string', { ...base, kinds: 'sleep' }, /kinds must be a non-empty list/],
    ['backfill', 'kinds empty', { ...base, kinds: [] }, /kinds must be a non-empty list/],
    ['backfill', 'kinds of numbers', { ...base, kinds: [1, 2] }, /kinds must be a non-empty list/],
    ['backfill', '20,000 unknown kinds', { ...base, kinds: hugeKinds }, /kind-0, .* and 19995 more/],
    ['backfill', 'options a string', { ...base, options: 'fast' }, /options must be an object/],
    ['backfill', 'parallelism 0', { ...base, options: { parallelism: 0 } }, /options\.parallelism: /],
    ['backfill', 'windowsPerRun -1', { ...base, options: { windowsPerRun: -1 } }, /options\.windowsPerRun: /],
    [
      'backfill',
      'heartbeat timeout not a number',
      { ...base, options: { heartbeatTimeoutSeconds: 'soon' } },
      /options\.heartbeatTimeoutSeconds: /,
    ],
    ['backfill', 'an unknown option', { ...base, options: { paralelism: 2 } }, /options: .*paralelism/],
    ['incrementalSync', 'a string', 'alice', /input must be one JSON object/],
    ['incrementalSync', 'no provider', { userId: GOOD }, /provider: provider is required/],
    [
      'incrementalSync',
      'userId with SQL',
      { userId: "'; delete from connections; --", provider: 'whoop' },
      /userId may hold/,
    ],
  ];

  it.each(cases)(
    '%s: %s fails at once, non-retryable, saying what is wrong',
    async (type, _name, input, message) => {
      const handle = await stack.temporal.client.workflow.start(type, {
        taskQueue: stack.temporal.config.TEMPORAL_TASK_QUEUE,
        workflowId: `bad-input-${Math.random().toString(36).slice(2)}`,
        args: [input],
      });
      const failure = await failureOf(handle);
      expect(failure.type).toBe('InvalidInput');
      expect(failure.message).toMatch(message);
      // A clear line, not an echo of whatever was sent.
      expect(failure.message.length).toBeLessThan(400);
      figures.workflowInputs++;
    },
  );

  it('wrote nothing for any of them', async () => {
    const users = await stack.db.sql<{ id: string }[]>`select id from users`;
    expect(users.map((u) => u.id).filter((id) => !id.startsWith('mal-') && id !== GOOD)).toEqual([]);
    const runs = await stack.db.sql<{ user_id: string }[]>`select distinct user_id from sync_runs`;
    expect(runs.map((r) => r.user_id).filter((id) => !id.startsWith('mal-') && id !== GOOD)).toEqual([]);
  });
});

describe('provider responses', () => {
  const broken = (status: number, contentType: string, body: string) => ({ status, contentType, body });

  it('an envelope without records, or with wrong types: the backfill fails non-retryably naming the field; nothing written', async () => {
    for (const [userId, response, message] of [
      ['mal-envelope', broken(200, 'application/json', '{"data":[]}'), /WHOOP cycle page: records: /],
      [
        'mal-types',
        broken(200, 'application/json', '{"records":"none","next_token":42}'),
        /records: .*next_token: /,
      ],
    ] as const) {
      proxy.breakFor((await connect(userId)).accessToken, response);
      const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
        userId,
        provider: 'whoop',
        from: iso(from),
        to: iso(to),
      });
      const failure = await failureOf(handle);
      expect(failure.type, userId).toBe('ProviderClientError');
      expect(failure.message, userId).toMatch(message);
      expect(await written(userId)).toMatchObject({ records: 0, coverage: 0, quarantine: 0 });
      figures.providerResponses++;
    }
  });

  it('records of the wrong type are quarantined one by one with a reason; the backfill completes', async () => {
    const userId = 'mal-records';
    proxy.breakFor(
      (await connect(userId)).accessToken,
      broken(200, 'application/json', '{"records":[1,"two",null,[]],"next_token":null}'),
    );
    const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
      userId,
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
    });
    const result = await handle.result();
    expectCompleted(result);
    const rows = await stack.db.sql<{ kind: string; reason: string }[]>`
      select kind, reason from quarantine where user_id = ${userId}`;
    expect(rows.length).toBe(4 * 4); // four bad records, four kinds (seen again on every window)
    for (const row of rows) expect(row.reason).toBe('record: expected a JSON object');
    expect((await written(userId))?.records).toBe(0);
    figures.providerResponses++;
  });

  it('a 200 with an HTML body is retried as transient, saying so, and stores nothing', async () => {
    const userId = 'mal-html';
    proxy.breakFor((await connect(userId)).accessToken, broken(200, 'text/html', '<html>maintenance</html>'));
    const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
      userId,
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
    });
    let lastFailure = '';
    await waitUntil('a retried attempt', async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const retried = pending.find((a) => (a.attempt ?? 0) >= 2 && a.lastFailure);
      lastFailure = retried?.lastFailure?.message ?? '';
      return Boolean(retried);
    });
    expect(lastFailure).toMatch(/WHOOP GET \/v2\/\S+: HTTP 200 with a truncated or non-JSON body/);
    await handle.terminate('test over');
    expect(await written(userId)).toMatchObject({ records: 0, coverage: 0 });
    figures.providerResponses++;
  });

  it('the good user on the same worker completed with exactly what the sandbox serves', async () => {
    expectCompleted(await good.result());
    const compared = await expectStoredEqualsServed(
      stack.db.sql,
      stack.sandbox,
      GOOD,
      from,
      new Date(to.getTime() + DAY_MS),
    );
    expect(proxy.served()).toBeGreaterThan(0);
    Object.assign(figures, { goodUserRecordsCompared: compared, brokenResponsesServed: proxy.served() });
  });
});

describe('CLI arguments (wearhouse as a process)', () => {
  const cliEnv = () => ({
    PATH: process.env.PATH ?? '',
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: stack.temporal.config.TEMPORAL_TASK_QUEUE,
    TOKEN_ENCRYPTION_KEY: stack.temporal.tokenEncryptionKey,
  });
  const connect = (...more: string[]) => [
    'connect',
    'whoop',
    '--access-token',
    'a',
    '--refresh-token',
    'r',
    ...more,
  ];
  const backfill = (...more: string[]) => ['backfill', '--user', 'olga', '--to', '2024-03-01', ...more];
  const cases: [string[], RegExp][] = [
    [connect('--user', "x'; drop table users; --"), /userId may hold/],
    [connect('--user', 'olga', '--expires-in', 'soon'), /--expires-in must be whole seconds/],
    [connect('--user', 'olga', '--expires-in=-5'), /--expires-in must be whole seconds/],
    [connect('--user', 'olga', '--expires-in', '1.5'), /--expires-in must be whole seconds/],
    [
      ['connect', 'fitbit', '--user', 'olga', '--access-token', 'a', '--refresh-token', 'r'],
      /unknown provider "fitbit"/,
    ],
    [['connect'], /connect needs a provider/],
    [backfill('--provider', 'whoop', '--from', '2024-02-30'), /not a calendar date/],
    [
      backfill('--provider', 'whoop', '--from', '2024-01-01', '--kinds', 'steps,sleep'),
      /unknown kinds for whoop: steps/,
    ],
    [backfill('--from', '2024-01-01'), /--provider is required/],
    [['sync', '--user', 'a b', '--provider', 'whoop'], /userId may hold/],
    [['sandbox', 'fitbit'], /no sandbox for "fitbit" \(sandboxes: whoop, oura, junction\)/],
  ];

  // Separate processes: a few at a time.
  it.concurrent.each(cases)(
    'wearhouse %j exits 1 with one clear line, writing nothing',
    async (args, message) => {
      const error = await run(process.execPath, ['bin/wearhouse.mjs', ...args], {
        env: cliEnv(),
        timeout: 60_000,
      }).then(
        () => {
          throw new Error(`expected wearhouse ${args.join(' ')} to fail`);
        },
        (e: { code: number; stderr: string; stdout: string }) => e,
      );
      expect(error.code).toBe(1);
      const lines = error.stderr.trim().split('\n');
      expect(lines, error.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^wearhouse: /);
      expect(lines[0]).toMatch(message);
      expect(error.stdout).toBe('');
      figures.cliArguments++;
    },
  );

  it('a missing option value names the option (usage follows)', async () => {
    const error = await run(process.execPath, ['bin/wearhouse.mjs', 'status', '--user'], {
      env: cliEnv(),
    }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in error && error.code).toBe(1);
    expect(error.stderr.split('\n')[0]).toMatch(/^wearhouse: Option '--user <value>' argument missing/);
    figures.cliArguments++;
  });

  it('nothing was written by any of them', async () => {
    const [row] = await stack.db.sql<
      { n: number }[]
    >`select count(*)::int as n from users where id in ('olga', 'a b')`;
    expect(row?.n).toBe(0);
    const [sqlUser] = await stack.db.sql<
      { n: number }[]
    >`select count(*)::int as n from users where id like '%drop%'`;
    expect(sqlUser?.n).toBe(0);
  });
});

describe('environment values', () => {
  it.each([
    ['TOKEN_ENCRYPTION_OLD_KEYS', 'not-a-key'],
    ['TOKEN_ENCRYPTION_OLD_KEYS', `k1:${'A'.repeat(43)}=,garbage`],
    ['TOKEN_ENCRYPTION_KEY', `bad id!:${'A'.repeat(43)}=`],
    ['METRICS_PORT', '70000'],
    ['SYNC_INTERVAL_MINUTES', '0'],
    ['RESCORE_LOOKBACK_DAYS', '-1'],
    ['INITIAL_BACKFILL_DAYS', '99999999'],
    ['WHOOP_REQUESTS_PER_DAY', '1e4'],
    ['OAUTH_REDIRECT_URL', 'ftp://example.com/callback'],
    ['TEMPORAL_ADDRESS', 'http://127.0.0.1:7233'],
  ])('%s=%s is refused naming the variable, never echoing the value', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).not.toContain(value);
    figures.environment++;
  });

  it('a worker process with a bad old key stops at once with one line naming the variable', async () => {
    const error = await run(process.execPath, ['bin/wearhouse.mjs', 'worker'], {
      env: { PATH: process.env.PATH ?? '', TOKEN_ENCRYPTION_OLD_KEYS: 'garbage', METRICS_PORT: '0' },
      timeout: 60_000,
    }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in error && error.code).toBe(1);
    expect(error.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^wearhouse: Invalid configuration: TOKEN_ENCRYPTION_OLD_KEYS must be/),
    ]);
    expect(error.stderr).not.toContain('garbage');
    figures.environment++;
  });

  it('an unreachable DATABASE_URL is reported without its password', async () => {
    const secret = 'pw-never-printed-42';
    const error = await run(process.execPath, ['bin/wearhouse.mjs', 'status'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: `postgres://wearhouse:${secret}@127.0.0.1:1/wearhouse`,
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        TOKEN_ENCRYPTION_KEY: stack.temporal.tokenEncryptionKey,
      },
      timeout: 60_000,
    }).catch((e: { code: number; stderr: string; stdout: string }) => e);
    expect('code' in error && error.code).toBe(1);
    expect(error.stderr.trim().split('\n')).toHaveLength(1);
    expect(error.stderr).toMatch(/ECONNREFUSED/);
    expect(error.stderr + error.stdout).not.toContain(secret);
    figures.environment++;
  });
});
