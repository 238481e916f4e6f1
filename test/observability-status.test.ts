// `wearhouse status`, run as the operator runs it (the CLI as its own process against the test
// database): it reports the connection, its last success and each kind's freshness after a
// backfill, and the last error after an injected provider outage.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBackfill, startSync } from '../cli/operations.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { waitUntil } from './support/worker-process.ts';

const run = promisify(execFile);
const USER = 'rosa';

let stack: WhoopStack;
let dataDir: string;
let backfillDone: Date;

async function status(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['bin/wearhouse.mjs', 'status', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: stack.db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TOKEN_ENCRYPTION_KEY: stack.temporal.tokenEncryptionKey,
      // No dev stack of a developer's own .data/ may answer instead.
      WEARHOUSE_DATA_DIR: dataDir,
    },
  });
  return stdout;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wearhouse-status-'));
  stack = await startWhoopStack();
  await stack.connectUser(USER);
  await (
    await startBackfill(stack.temporal.client, stack.temporal.config, {
      userId: USER,
      provider: 'whoop',
      from: iso(day(-60)),
      to: iso(day(-20)),
    })
  ).result();
  backfillDone = new Date();
  // The provider goes down during a sync: its attempts fail (and would be retried until it is back).
  stack.sandbox.control.setFaults({ serverErrorRate: 1 });
  const sync = await startSync(stack.temporal.client, stack.temporal.config, {
    userId: USER,
    provider: 'whoop',
  });
  await waitUntil('a failed sync attempt in the ledger', async () => {
    const [row] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from sync_runs where workflow_id = ${sync.workflowId} and status = 'failed'`;
    return (row?.n ?? 0) > 0;
  });
  await sync.terminate('test: outage observed');
  stack.sandbox.control.setFaults({});
}, 300_000);

afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface JsonKind {
  kind: string;
  last_success: string | null;
  lag_minutes: number | null;
  running: boolean;
  failing: boolean;
  last_error_class: string | null;
}

describe('wearhouse status', () => {
  it('--json reports the connection, its last success, records and the last error', async () => {
    const rows = JSON.parse(await status('--json')) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    const [row] = rows as [Record<string, unknown>];
    const [stored] = await stack.db.sql<
      { n: number }[]
    >`select count(*)::int as n from records where user_id = ${USER}`;
    expect(row).toMatchObject({ provider: 'whoop', user_id: USER, status: 'active', records: stored?.n });
    expect(row.records).toBeGreaterThan(50);
    const lastSuccess = new Date(row.last_success as string).getTime();
    expect(lastSuccess).toBeLessThanOrEqual(backfillDone.getTime());
    expect(lastSuccess).toBeGreaterThan(backfillDone.getTime() - 60_000);
    expect(row.lag_minutes).toBeLessThanOrEqual(1);
    expect(row.failures_24h).toBeGreaterThan(0);
    expect(row.last_error).toMatch(/^ProviderUnavailable: WHOOP GET \/v2\/\S+: HTTP 50[023]$/);
  });

  it('--json gives each kind its last success, and says which kind is failing now', async () => {
    const [row] = JSON.parse(await status('--json')) as [{ kinds: JsonKind[] }];
    expect(row.kinds.map((k) => k.kind)).toEqual(['cycle', 'recovery', 'sleep', 'workout']);
    for (const kind of row.kinds) {
      expect(kind.last_success, kind.kind).not.toBeNull();
      expect(kind.running, kind.kind).toBe(false);
    }
    // The sync fetches cycles first: the outage hit them, the other kinds were not reached.
    const cycle = row.kinds.find((k) => k.kind === 'cycle');
    expect(cycle).toMatchObject({ failing: true, last_error_class: 'ProviderUnavailable' });
    expect(row.kinds.filter((k) => k.failing).map((k) => k.kind)).toEqual(['cycle']);
  });

  it('the table has the same in columns, and --user narrows it', async () => {
    const table = (await status()).split('\n');
    expect(table[0]).toMatch(/^user\s+provider\s+status\s+last success\s+lag\s+kinds \(lag\)/);
    const line = table.find((l) => l.startsWith(USER)) ?? '';
    expect(line).toMatch(/cycle \d+m! recovery \d+m sleep \d+m workout \d+m/);
    expect(line).toContain('ProviderUnavailable: WHOOP GET');
    expect(JSON.parse(await status('--json', '--user', 'nobody'))).toEqual([]);
  });

  it("--budget reports the plan and today's forecast, as the dashboard's budget_forecast view does", async () => {
    const [budget] = JSON.parse(await status('--budget', '--json')).filter(
      (b: { plan: { provider: string } }) => b.plan.provider === 'whoop',
    );
    expect(budget.plan).toMatchObject({ connections: 1, intervalMinutes: 15, fits: true });
    const [view] = await stack.db.sql<{ used_today: number; will_last: boolean; interval_minutes: number }[]>`
      select used_today, will_last, interval_minutes from budget_forecast where provider = 'whoop'`;
    const [counted] = await stack.db.sql<{ requests: number }[]>`
      select requests from rate_budget_daily
       where provider = 'whoop' and day = (clock_timestamp() at time zone 'UTC')::date`;
    // The backfill's requests were counted today, and status, view and counter agree.
    expect(counted?.requests ?? 0).toBeGreaterThan(0);
    expect(budget.forecast.usedToday).toBe(counted?.requests);
    expect(view).toEqual({ used_today: counted?.requests, will_last: true, interval_minutes: 15 });
    expect(budget.forecast.willLast).toBe(true);
    const table = await status();
    expect(table).toContain('\nbudget plan\n');
    expect(table).toMatch(
      /\n {2}whoop: 1 connection\(s\) every 15m, \d+ sync \+ \d+ interactive requests\/day planned of 10000\/day, 6000\/min · today \d+\/10000 used, \d+ still planned → lasts; backfills may use \d+ more\n/,
    );
  });

  it('--user of someone without connections says so and names the users that have them', async () => {
    const failed = await status('--user', 'nobody').then(
      () => {
        throw new Error('expected status --user nobody to fail');
      },
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).not.toMatch(/no connections yet/);
    expect(failed.stderr.split('\n')[0]).toBe(
      `wearhouse: "nobody" has no connections (users with connections: ${USER})`,
    );
    expect(failed.stderr.split('\n')[1]).toBe('  hint: `wearhouse status` lists every connection');
  });
});
