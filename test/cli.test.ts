// The `wearhouse` CLI as a user runs it, as separate processes against real Temporal, Postgres and
// the sandbox: connect with tokens, backfill --follow with its progress bar, sync, and clear errors.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { scheduleId } from '../worker/schedules.ts';
import { freePort } from '../worker/stack/processes.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const run = promisify(execFile);
let stack: WhoopStack;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startWhoopStack();
  const c = stack.temporal.config;
  env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: c.TEMPORAL_TASK_QUEUE,
    TOKEN_ENCRYPTION_KEY: stack.temporal.tokenEncryptionKey,
    WHOOP_API_URL: c.WHOOP_API_URL,
    WHOOP_TOKEN_URL: c.WHOOP_TOKEN_URL,
    // The schedules `connect` creates fire once a day (00:00 UTC), not in the middle of these tests.
    SYNC_INTERVAL_MINUTES: '1440',
  };
});
afterAll(() => stack?.close());

const cli = (...args: string[]) =>
  run(process.execPath, ['bin/wearhouse.mjs', ...args], { env, timeout: 120_000 });
const failing = (...args: string[]) =>
  cli(...args).then(
    () => {
      throw new Error(`expected wearhouse ${args.join(' ')} to fail`);
    },
    (error: { code: number; stderr: string }) => error,
  );

describe('wearhouse CLI', () => {
  it('connect stores encrypted tokens and creates the sync schedule', async () => {
    const tokens = stack.sandbox.control.issueTokens('jack');
    const { stdout } = await cli(
      'connect',
      'whoop',
      '--user',
      'jack',
      // `=` form: a token may begin with '-', which would read as an option.
      `--access-token=${tokens.accessToken}`,
      `--refresh-token=${tokens.refreshToken}`,
      '--expires-in',
      String(tokens.expiresIn),
      '--no-backfill',
    );
    expect(stdout).toMatch(
      /connected whoop for jack: tokens stored encrypted, schedule sync:whoop:jack created/,
    );
    expect(stdout).not.toContain(tokens.accessToken);
    const [row] = await stack.db.sql<{ access_token_enc: string }[]>`
      select access_token_enc from connections where user_id = 'jack'`;
    expect(row?.access_token_enc).toMatch(/^v1:test1:/);
    expect(row?.access_token_enc).not.toContain(tokens.accessToken);
    const schedule = await stack.temporal.client.schedule.getHandle(scheduleId('whoop', 'jack')).describe();
    expect(schedule.state.note).toMatch(/Syncs whoop data of jack every 1440 min/);
  });

  it('connect without tokens runs the browser login and stores the pair', async () => {
    const { spawn } = await import('node:child_process');
    const redirect = `http://127.0.0.1:${await freePort()}/callback`;
    const child = spawn(
      process.execPath,
      ['bin/wearhouse.mjs', 'connect', 'whoop', '--user', 'kim', '--no-backfill'],
      {
        env: {
          ...env,
          WHOOP_CLIENT_ID: 'sandbox-client',
          WHOOP_CLIENT_SECRET: 'sandbox-secret',
          WHOOP_AUTH_URL: stack.sandbox.authUrl,
          OAUTH_REDIRECT_URL: redirect,
        },
      },
    );
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
      const url = output.match(/^ {2}(http\S+)$/m)?.[1];
      // The "browser": the sandbox approves kim at once and redirects to the CLI's callback.
      if (url && !output.includes('followed')) {
        output += 'followed';
        void fetch(`${url}&login_hint=kim`);
      }
    });
    expect(await exited).toBe(0);
    expect(output).toMatch(/connected whoop for kim/);
    const [row] = await stack.db.sql<
      { status: string }[]
    >`select status from connections where user_id = 'kim'`;
    expect(row?.status).toBe('active');
  });

  it('backfill --follow draws progress from the workflow query and prints the summary', async () => {
    const { stdout } = await cli(
      'backfill',
      '--user',
      'jack',
      '--provider',
      'whoop',
      '--from',
      iso(day(-120)),
      '--to',
      iso(day(-40)),
      '--follow',
    );
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^started backfill:whoop:jack/);
    // The first frame is the truth before the windows are known; no bar claims 0/0.
    expect(lines[1]).toBe('planning…');
    expect(stdout).not.toMatch(/ 0\/0 windows/);
    expect(stdout).toMatch(/\[#+-*\] \d+\/\d+ windows · \d+ records · \d+ API calls/);
    const summary = JSON.parse(stdout.slice(stdout.indexOf('{')));
    expect(summary.windowsDone).toBe(summary.windowsTotal);
    const [stored] = await stack.db.sql<
      { n: number }[]
    >`select count(*)::int as n from records where user_id = 'jack'`;
    const inserted = Object.values(summary.byKind as Record<string, { inserted: number }>).reduce(
      (sum, c) => sum + c.inserted,
      0,
    );
    expect(inserted).toBe(stored?.n);
  });

  it('backfill --follow of a covered range says it is already covered', async () => {
    const { stdout } = await cli(
      'backfill',
      '--user',
      'jack',
      '--provider',
      'whoop',
      '--from',
      iso(day(-100)),
      '--to',
      iso(day(-60)),
      '--follow',
    );
    expect(stdout).toContain(`already covered: nothing to fetch (${iso(day(-100))} → ${iso(day(-60))})`);
  });

  it('sync runs an incremental sync and prints its result', async () => {
    const { stdout } = await cli('sync', '--user', 'jack', '--provider', 'whoop');
    expect(stdout).toMatch(/started sync:whoop:jack:manual-/);
    const result = JSON.parse(stdout.slice(stdout.indexOf('{')));
    expect(Object.keys(result.byKind).sort()).toEqual(['cycle', 'recovery', 'sleep', 'workout']);
  });

  it('backfill and sync check the connection before starting anything, and say who is connected', async () => {
    for (const command of ['backfill', 'sync']) {
      const range = command === 'backfill' ? ['--from', iso(day(-10)), '--to', iso(day(-1))] : [];
      const error = await failing(command, '--user', 'nobody', '--provider', 'whoop', ...range);
      expect(error.code).toBe(1);
      const [message, hint] = error.stderr.trim().split('\n');
      expect(message).toMatch(
        /^wearhouse: "nobody" has no whoop connection \(users with a whoop connection: .*jack/,
      );
      expect(hint).toBe('  hint: connect it first: wearhouse connect whoop --user nobody');
    }
    const started = await stack.temporal.client.workflow
      // This file's task queue only: other test files share the Temporal server and ask about "nobody" too.
      .list({
        query: `WearhouseUser = "nobody" and TaskQueue = "${stack.temporal.config.TEMPORAL_TASK_QUEUE}"`,
      })
      [Symbol.asyncIterator]()
      .next();
    expect(started.done).toBe(true);
  });

  it('refuses a connection that needs a new login, saying so', async () => {
    await stack.connectUser('lee');
    await stack.db.sql`update connections set status = 'reauth_required', status_reason = 'refresh rejected'
                       where user_id = 'lee'`;
    const error = await failing('sync', '--user', 'lee', '--provider', 'whoop');
    const [message, hint] = error.stderr.trim().split('\n');
    expect(message).toBe('wearhouse: the whoop connection of lee is reauth_required: refresh rejected');
    expect(hint).toMatch(/wearhouse connect whoop --user lee$/);
  });

  it('a workflow that fails reports its own failure message and a hint, not "Workflow execution failed"', async () => {
    await stack.connectUser('mia');
    // WHOOP revokes the grant after the check passed: the sync's token refresh is rejected.
    stack.sandbox.control.revokeUser('mia');
    await stack.db.sql`update connections set access_expires_at = now() where user_id = 'mia'`;
    const error = await failing('sync', '--user', 'mia', '--provider', 'whoop');
    expect(error.code).toBe(1);
    const [message, hint] = error.stderr.trim().split('\n');
    expect(message).toMatch(/^wearhouse: sync:whoop:mia:manual-\d+ failed \(ReauthRequired\): \S/);
    expect(message).not.toMatch(/Workflow execution failed/);
    expect(hint).toMatch(/log in again: wearhouse connect whoop --user mia$/);
    // The worker's log says the same, with the failure's class and type rather than `"error":{}`.
    // (The SDK writes these lines once the failure is reported, which may be just after the CLI hears.)
    const logged = (msg: string) =>
      vi.waitFor(() => {
        const line = stack.temporal.logLines
          .map((text) => JSON.parse(text))
          .find((l) => l.msg === msg && String(l.workflowId).startsWith('sync:whoop:mia:'));
        expect(line, msg).toBeDefined();
        return line;
      });
    expect((await logged('workflow failed')).error).toMatchObject({
      class: 'ActivityFailure',
      cause: { class: 'ApplicationFailure', type: 'ReauthRequired', message: expect.stringMatching(/\S/) },
    });
    expect((await logged('Activity failed')).error).toMatchObject({
      class: 'ApplicationFailure',
      type: 'ReauthRequired',
      message: expect.stringMatching(/\S/),
    });
  });

  it.each([
    [['backfill', '--provider', 'whoop', '--from', '2024-01-01', '--to', '2024-02-01'], /--user is required/],
    [
      ['backfill', '--user', 'jack', '--provider', 'whoop', '--from', '2024-02-01', '--to', '2024-01-01'],
      /must be before to/,
    ],
    [
      ['backfill', '--user', 'jack', '--provider', 'whoop', '--from', 'yesterday', '--to', '2024-01-01'],
      /from "yesterday" is neither/,
    ],
    [
      ['connect', 'whoop', '--user', 'jack', '--access-token', 'only-one'],
      /give both --access-token and --refresh-token/,
    ],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['status', '--colour'], /Unknown option '--colour'/],
  ])('%j fails with one clear line', async (args, message) => {
    const error = await failing(...(args as string[]));
    expect(error.code).toBe(1);
    expect(error.stderr.trim().split('\n')[0]).toMatch(message);
  });
});
