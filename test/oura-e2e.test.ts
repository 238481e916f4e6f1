// Oura end to end over HTTP: backfills and incremental syncs started with the Temporal CLI, through a
// real worker and Postgres, against the Oura sandbox. What is stored must be exactly what the sandbox
// serves; a covered re-run costs no request; a sync after documents changed stores only the changes;
// tokens rotate; a 403 stops the connection with its reason.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collectDashboardTargets, expandPanelSql, panelIntervalMs } from '../grafana/macros.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import type { BackfillResult } from '../workflows/backfill.ts';
import type { IncrementalSyncResult } from '../workflows/incremental-sync.ts';
import { type OuraStack, ouraDataRequests, startOuraStack } from './support/oura-stack.ts';
import { day, iso } from './support/whoop-stack.ts';

const KINDS = [
  'daily_sleep',
  'sleep',
  'daily_readiness',
  'daily_activity',
  'workout',
  'session',
  'daily_spo2',
  'daily_stress',
] as const;
const run = promisify(execFile);
const dashboards = [...renderDashboards().values()].map((json) => JSON.parse(json));
let stack: OuraStack;

/** One dashboard panel's SQL for the last 200 days, run as the Grafana role over the simple protocol. */
async function runPanel(dashboard: string, title: string, user: string[], provider: string[]) {
  const target = dashboards
    .flatMap((d) => collectDashboardTargets(d))
    .find((t) => t.dashboard === dashboard && t.panelTitle === title);
  if (!target?.rawSql) throw new Error(`no panel ${dashboard} / ${title}`);
  const to = new Date();
  const from = day(-200);
  const sql = expandPanelSql(target.rawSql, {
    from,
    to,
    intervalMs: panelIntervalMs(from, to),
    variables: { user, provider },
  });
  const grafana = postgres(stack.db.grafanaUrl, { max: 1, onnotice: () => {} });
  try {
    return [...(await grafana.unsafe(sql).simple())] as Record<string, unknown>[];
  } finally {
    await grafana.end();
  }
}

beforeAll(async () => {
  stack = await startOuraStack({ sandbox: { pageSize: 25 } });
  for (const user of ['olga', 'pavel', 'quinn', 'rosa']) await stack.connectUser(user);
});
afterAll(() => stack?.close());

const backfill = (input: Record<string, unknown>) =>
  stack.startWithCli('backfill', input) as Promise<BackfillResult>;

describe('backfill through the Temporal CLI', () => {
  const from = iso(day(-150));
  const to = iso(day(-31));

  it('stores exactly the documents the sandbox serves, every day of every window kept', async () => {
    const result = await backfill({ userId: 'olga', provider: 'oura', from, to });
    for (const kind of KINDS) {
      const { served, stored } = await stack.compare('olga', kind, from, to);
      expect(served.length, kind).toBeGreaterThan(kind === 'session' ? 5 : kind === 'workout' ? 30 : 100);
      expect(stored, kind).toEqual(served);
      expect(result.byKind[kind]?.inserted, kind).toBe(served.length);
    }
    // 120 days in 90-day windows: 2 windows per kind, each ending on a UTC midnight. The last day of
    // every window is stored (a date-only end_date would have dropped it).
    expect(result.windowsTotal).toBe(2 * KINDS.length);
    const lastDays = await stack.db.sql<{ day: string }[]>`
      select distinct to_char(local_day, 'YYYY-MM-DD') as day from records
      where user_id = 'olga' and kind = 'daily_activity' order by 1`;
    expect(lastDays.map((r) => r.day)).toHaveLength(120);
    expect(lastDays.at(-1)?.day).toBe(to);
  });

  it('a one-day backfill stores that day: the date edge', async () => {
    const target = iso(day(-40));
    const result = await backfill({
      userId: 'pavel',
      provider: 'oura',
      from: target,
      to: target,
      kinds: ['daily_activity', 'sleep'],
    });
    const { served, stored } = await stack.compare('pavel', 'daily_activity', target, target);
    expect(served).toHaveLength(1);
    expect(stored).toEqual(served);
    expect(result.byKind.daily_activity?.inserted).toBe(1);
    const sleeps = await stack.compare('pavel', 'sleep', target, target);
    expect(sleeps.stored).toEqual(sleeps.served);
  });

  it('re-running a covered range costs no request and changes nothing', async () => {
    const before = await stack.db
      .sql`select kind, source_id, last_changed_at from records where user_id = 'olga' order by 1, 2`;
    stack.sandbox.control.resetStats();
    const result = await backfill({ userId: 'olga', provider: 'oura', from, to });
    expect(ouraDataRequests(stack.sandbox)).toBe(0);
    expect(result.windowsTotal).toBe(0);
    const after = await stack.db
      .sql`select kind, source_id, last_changed_at from records where user_id = 'olga' order by 1, 2`;
    expect(after).toEqual(before);
  });

  it('heartrate is opt-in: fetched only when named, by instants, every sample stored', async () => {
    const hrFrom = iso(day(-45));
    const hrTo = iso(day(-43));
    const result = await backfill({
      userId: 'pavel',
      provider: 'oura',
      from: hrFrom,
      to: hrTo,
      kinds: ['heartrate'],
    });
    const served = stack.sandbox.control.documents(
      'pavel',
      'heartrate',
      `${hrFrom}T00:00:00Z`,
      `${iso(day(-42))}T00:00:00Z`,
    );
    expect(served.length).toBeGreaterThan(500);
    const [row] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records where user_id = 'pavel' and kind = 'heartrate' and deleted_at is null`;
    expect(row?.n).toBe(served.length);
    expect(result.byKind.heartrate?.inserted).toBe(served.length);
  });
});

describe('incremental sync', () => {
  it('re-reads the lookback and stores only what really changed', async () => {
    await backfill({ userId: 'quinn', provider: 'oura', from: iso(day(-20)), to: new Date().toISOString() });
    const changedDay = iso(day(-3));
    const mutated = stack.sandbox.control.mutate('quinn', 'daily_sleep', changedDay);
    const activity = stack.sandbox.control.mutate('quinn', 'daily_activity', iso(day(-2)));
    // A workout deleted in the app: the first day in the lookback that has one.
    let deleted: string[] = [];
    for (let d = -6; d <= -1 && deleted.length === 0; d++) {
      deleted = stack.sandbox.control.deleteDocuments('quinn', 'workout', iso(day(d)));
    }
    expect(mutated).toHaveLength(1);
    expect(deleted.length).toBeGreaterThan(0);
    const before = await stack.db.sql<{ source_id: string; last_changed_at: Date }[]>`
      select source_id, last_changed_at from records where user_id = 'quinn'`;
    const result = (await stack.startWithCli('incrementalSync', {
      userId: 'quinn',
      provider: 'oura',
    })) as IncrementalSyncResult;
    expect(result.byKind.daily_sleep).toMatchObject({ inserted: 0, updated: 1, deleted: 0 });
    expect(result.byKind.daily_activity).toMatchObject({ inserted: 0, updated: activity.length, deleted: 0 });
    expect(result.byKind.workout).toMatchObject({ inserted: 0, updated: 0, deleted: deleted.length });
    for (const kind of ['sleep', 'daily_readiness', 'session', 'daily_spo2', 'daily_stress']) {
      expect(result.byKind[kind], kind).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
      // The lookback re-read every document of the days it covers, the week before today and today.
      const served = stack.sandbox.control.documents('quinn', kind as 'sleep', iso(day(-7)), iso(day(0)));
      expect(result.byKind[kind]?.unchanged, kind).toBe(served.length);
    }
    const after = await stack.db.sql<{ source_id: string; last_changed_at: Date }[]>`
      select source_id, last_changed_at from records where user_id = 'quinn'`;
    const moved = after
      .filter(
        (row) =>
          before.find((b) => b.source_id === row.source_id)?.last_changed_at.getTime() !==
          row.last_changed_at.getTime(),
      )
      .map((row) => row.source_id)
      .sort();
    expect(moved).toEqual([...mutated, ...activity, ...deleted].sort());
    const [changed] = await stack.db.sql<{ score: number }[]>`
      select (payload->>'score')::int as score from records where source_id = ${mutated[0] ?? ''}`;
    const [served] = stack.sandbox.control.documents('quinn', 'daily_sleep', changedDay, changedDay);
    expect(changed?.score).toBe(served?.score);
  });
});

describe('tokens and access', () => {
  it('an expired access token is refreshed once, the single-use refresh token rotated', async () => {
    const tokens = await stack.connectUser('rosa');
    stack.sandbox.control.expireAccessToken(tokens.accessToken);
    stack.sandbox.control.resetStats();
    const target = iso(day(-60));
    await backfill({
      userId: 'rosa',
      provider: 'oura',
      from: target,
      to: target,
      kinds: ['daily_sleep', 'daily_activity'],
    });
    const stats = stack.sandbox.control.stats();
    expect(stats.refreshes).toBe(1);
    expect(stats.refreshReuse).toBe(0);
    const { served, stored } = await stack.compare('rosa', 'daily_activity', target, target);
    expect(stored).toEqual(served);
  });

  it('403 (subscription expired) fails without retries and marks the connection with the reason', async () => {
    stack.sandbox.control.setSubscription('rosa', false);
    stack.sandbox.control.resetStats();
    const error = await backfill({
      userId: 'rosa',
      provider: 'oura',
      from: iso(day(-100)),
      to: iso(day(-95)),
      kinds: ['sleep'],
    }).catch((e: unknown) => e);
    let failure = (error as { cause?: unknown }).cause as { type?: string; message: string; cause?: unknown };
    while (failure.cause) failure = failure.cause as typeof failure;
    expect(failure.type).toBe('AccessDenied');
    expect(stack.sandbox.control.stats().forbidden).toBe(1);
    const [connection] = await stack.db.sql<{ status: string; status_reason: string }[]>`
      select status, status_reason from connections where provider = 'oura' and user_id = 'rosa'`;
    expect(connection?.status).toBe('access_denied');
    expect(connection?.status_reason).toMatch(/403.*subscription expired/i);
    // The next run stops before any request, saying why.
    const again = await stack
      .startWithCli('incrementalSync', { userId: 'rosa', provider: 'oura' })
      .catch((e: unknown) => e);
    let stopped = (again as { cause?: unknown }).cause as { type?: string; message: string; cause?: unknown };
    while (stopped.cause) stopped = stopped.cause as typeof stopped;
    expect(stopped.type).toBe('AccessDenied');
    expect(stopped.message).toMatch(/access denied: the oura connection of rosa .*subscription expired/i);
    expect(stack.sandbox.control.stats().forbidden).toBe(1);
    // `wearhouse status` (the real CLI) names the state and the provider's reason in full, with what to do.
    const { stdout } = await run(process.execPath, ['bin/wearhouse.mjs', 'status', '--user', 'rosa'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: stack.db.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TOKEN_ENCRYPTION_KEY: stack.temporal.tokenEncryptionKey,
      },
      timeout: 60_000,
    });
    const [header, , row] = stdout.split('\n');
    expect(header).toMatch(/^user\s+provider\s+status\s/);
    expect(row).toMatch(/^rosa\s+oura\s+access_denied\s/);
    const attention = stdout.slice(stdout.indexOf('\nneeds attention\n'));
    expect(attention).toMatch(
      /\n {2}rosa oura access_denied: Oura GET \/v2\/usercollection\/sleep: HTTP 403, access denied \(Oura subscription expired[^\n]*: Subscription expired\n/,
    );
    expect(attention).toMatch(
      /hint: the provider refuses this user's data; .*wearhouse connect oura --user rosa/,
    );
    // The pipeline dashboard's freshness table, as Grafana runs it (its role, the simple protocol).
    const rows = await runPanel('Pipeline health', 'Freshness per user and kind', ['rosa'], ['oura']);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatchObject({ user: 'rosa', provider: 'oura', connection: 'access_denied' });
      expect(row['connection reason']).toMatch(/HTTP 403, access denied.*: Subscription expired$/);
    }
    const others = await runPanel('Pipeline health', 'Freshness per user and kind', ['olga'], ['oura']);
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((r) => r.connection === 'active' && r['connection reason'] === null)).toBe(true);
  });
});
