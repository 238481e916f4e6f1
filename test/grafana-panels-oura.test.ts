// Every dashboard panel's SQL on Oura data and on mixed data, run as the Grafana role after real
// backfills (the WHOOP and Oura sandboxes over HTTP, one worker with both providers): a user with
// both devices, one with Oura only, one with WHOOP only. With $provider = oura every panel runs,
// and only the panels of WHOOP-only measures come back empty; with $provider = whoop the user with
// both sees exactly their WHOOP nights, Oura's never mixed in.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWithTokens, startBackfill } from '../cli/operations.ts';
import {
  collectDashboardTargets,
  expandPanelSql,
  type PanelTarget,
  panelIntervalMs,
} from '../grafana/macros.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { type OuraSandbox, startOuraSandbox } from '../providers/oura/sandbox/index.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { scheduleId } from '../worker/schedules.ts';
import { CROSS_PROVIDER_DASHBOARDS } from './support/panel-check.ts';
import { sleepStagesByDay } from './support/sandbox-expected.ts';
import { DAY_MS, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { waitUntil } from './support/worker-process.ts';

const BOTH = 'mix-ann';
const OURA_ONLY = 'mix-cleo';
const WHOOP_ONLY = 'mix-dan';
const dashboards = [...renderDashboards().values()].map((json) => JSON.parse(json));
// The cross-provider dashboards are checked on multi-source data (test/daily-health*), the Apple
// Health one on imported exports (test/grafana-panels.test.ts): here, the WHOOP and Oura dashboards.
const targets = dashboards
  .flatMap((d) => collectDashboardTargets(d))
  .filter(
    (t) =>
      t.datasourceUid === 'wearhouse-postgres' &&
      !CROSS_PROVIDER_DASHBOARDS.includes(t.dashboard) &&
      t.dashboard !== 'Apple Health',
  );
/** Panels of measures Oura does not have: empty for Oura users, by design (docs/views.md). */
const WHOOP_ONLY_PANELS = [
  // Oura has no daily request budget, only per-minute windows.
  'Pipeline health / Requests in 24 hours',
  'Recovery / Days per recovery band',
  // daily_summary's recovery columns stay null for Oura (its readiness view has them). These panels
  // used to return the two users' rows with null values; the across-user mean skips nulls.
  'Recovery / HRV with 7- and 30-day rolling means',
  'Recovery / Mean recovery',
  'Recovery / Recovery score',
  'Recovery / Resting heart rate',
  'Recovery / Skin temperature',
  'Recovery / SpO2',
  'Sleep / Sleep debt',
  'Strain & workouts / Day strain',
  'Strain & workouts / Energy expenditure',
];
/** Pipeline panels of faults this data has none of (test/grafana-panels.test.ts has them). */
const FAULT_PANELS = [
  'Pipeline health / 429s and 5xx',
  'Pipeline health / Failures by class',
  'Pipeline health / Quarantined records',
  'Pipeline health / Running backfills and syncs',
];

const OURA_RPM = 5400;
let stack: WhoopStack;
let oura: OuraSandbox;
let grafana: postgres.Sql;
let from: Date;
let to: Date;

beforeAll(async () => {
  oura = await startOuraSandbox({ historyDays: 200 });
  stack = await startWhoopStack({
    sandbox: { requestsPerMinute: 6000, historyDays: 200 },
    env: {
      OURA_API_URL: oura.url,
      OURA_TOKEN_URL: oura.tokenUrl,
      OURA_CLIENT_ID: 'sandbox-client',
      OURA_CLIENT_SECRET: 'sandbox-secret',
      // Not WHOOP's 6000: the budget panel must show each provider's own, as configured.
      OURA_REQUESTS_PER_MINUTE: String(OURA_RPM),
    },
  });
  const cipher = createTokenCipher(stack.temporal.tokenEncryptionKey);
  const { client, config } = stack.temporal;
  for (const user of [BOTH, WHOOP_ONLY]) await stack.connectUser(user);
  for (const user of [BOTH, OURA_ONLY]) {
    const tokens = oura.control.issueTokens(user);
    await connectWithTokens(
      { sql: stack.db.sql, client, cipher, config },
      {
        provider: 'oura',
        userId: user,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresInSeconds: tokens.expiresIn,
        initialBackfillDays: 0,
      },
    );
    await client.schedule.getHandle(scheduleId('oura', user)).pause('the test starts every sync');
  }
  to = new Date();
  from = new Date((Math.floor(to.getTime() / DAY_MS) - 120) * DAY_MS);
  const runs = [
    [BOTH, 'whoop'],
    [WHOOP_ONLY, 'whoop'],
    [BOTH, 'oura'],
    [OURA_ONLY, 'oura'],
  ] as const;
  await Promise.all(
    runs.map(async ([userId, provider]) =>
      (
        await startBackfill(client, config, {
          userId,
          provider,
          from: from.toISOString(),
          to: to.toISOString(),
        })
      ).result(),
    ),
  );
  // The worker flushes its request counters every few seconds; the request panels need them.
  await waitUntil('request counters of both providers stored', async () => {
    const rows = await stack.db.sql`select distinct provider from provider_requests`;
    return rows.length === 2;
  });
  // Panels look at the range up to now, after the runs (the pipeline panels show them).
  to = new Date();
  await stack.db.sql`analyze`;
  grafana = postgres(stack.db.grafanaUrl, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  await grafana?.end();
  for (const [provider, user] of [
    ['whoop', BOTH],
    ['whoop', WHOOP_ONLY],
    ['oura', BOTH],
    ['oura', OURA_ONLY],
  ]) {
    await stack?.temporal.client.schedule
      .getHandle(scheduleId(provider as string, user as string))
      .delete()
      .catch(() => {});
  }
  await stack?.close();
  await oura?.close();
});

async function run(target: PanelTarget, users: string[], provider: string) {
  const start = target.timeFrom
    ? new Date(to.getTime() - Number.parseInt(target.timeFrom, 10) * DAY_MS)
    : from;
  const sql = expandPanelSql(target.rawSql, {
    from: start,
    to,
    intervalMs: panelIntervalMs(start, to),
    variables: { user: users, provider: [provider] },
  });
  const rows = await grafana.unsafe(sql).simple();
  if (target.format === 'time_series' && rows.length > 0) {
    expect(
      rows.columns.map((c) => c.name),
      sql,
    ).toContain('time');
    const times = rows.map((r) => epochMs(r.time));
    expect(times, sql).toEqual([...times].sort((a, b) => a - b));
  }
  return rows;
}

/** Grafana accepts native timestamps and epoch numbers (seconds or ms) as time. */
function epochMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`not a time: ${String(value)}`);
  return Math.abs(n) < 1e11 ? n * 1000 : n;
}
const dayOf = (time: unknown) => new Date(epochMs(time)).toISOString().slice(0, 10);

const label = (t: PanelTarget) => `${t.dashboard} / ${t.panelTitle}`;
const named = (dashboard: string, title: string) =>
  targets.find((t) => t.dashboard === dashboard && t.panelTitle === title) as PanelTarget;

describe('every panel on Oura data', () => {
  it('runs as the Grafana role; only the panels of WHOOP-only measures are empty', async () => {
    const empty: string[] = [];
    for (const target of targets) {
      const selections = target.repeat ? [[BOTH], [OURA_ONLY]] : [[BOTH, OURA_ONLY]];
      let rows = 0;
      for (const users of selections) rows += (await run(target, users, 'oura')).length;
      if (rows === 0) empty.push(label(target));
    }
    expect([...new Set(empty)].sort()).toEqual([...WHOOP_ONLY_PANELS, ...FAULT_PANELS].sort());
  });

  it('Sleep stages: each night, the stages of the long sleep the Oura sandbox served', async () => {
    const rows = await run(named('Sleep', 'Sleep stages: $user'), [OURA_ONLY], 'oura');
    const fromDay = from.toISOString().slice(0, 10);
    const toDay = to.toISOString().slice(0, 10);
    const nights = oura.control
      .documents(OURA_ONLY, 'sleep', fromDay, toDay)
      .filter((s) => s.type === 'long_sleep');
    const inside = (day: string) => day > fromDay && day < toDay;
    const expected = nights.filter((n) => inside(String(n.day)));
    const shown = rows.filter((r) => inside(dayOf(r.time)));
    expect(expected.length).toBeGreaterThan(90);
    expect(shown).toHaveLength(expected.length);
    for (const night of expected) {
      const row = shown.find((r) => dayOf(r.time) === night.day);
      expect(Number(row?.['deep (slow wave)']), String(night.day)).toBeCloseTo(
        Number(night.deep_sleep_duration) / 3600,
        9,
      );
      expect(Number(row?.REM), String(night.day)).toBeCloseTo(Number(night.rem_sleep_duration) / 3600, 9);
    }
  });
});

describe('budgets and provider names come from data', () => {
  it("the request panel draws each provider's budget as the worker is configured (the providers table)", async () => {
    const target = named('Pipeline health', 'API requests against the budget');
    const budgetRows = async (provider: string) =>
      (await run(target, [BOTH], provider))
        .filter((r) => String(r.metric).endsWith(' budget'))
        .map((r) => [r.metric, Number(r.value)]);
    const whoopRpm = stack.temporal.config.WHOOP_REQUESTS_PER_MINUTE;
    expect(whoopRpm).not.toBe(OURA_RPM);
    // A flat line: the same value at the range's start and end, one per provider selected.
    expect(await budgetRows('oura')).toEqual([
      ['oura budget', OURA_RPM],
      ['oura budget', OURA_RPM],
    ]);
    expect(await budgetRows('whoop')).toEqual([
      ['whoop budget', whoopRpm],
      ['whoop budget', whoopRpm],
    ]);
    // The series beside it are the providers' own request counts, named by the data.
    const series = new Set((await run(target, [BOTH], 'oura')).map((r) => String(r.metric)));
    expect(series).toEqual(new Set(['oura', 'oura budget']));
  });
});

describe('mixed data', () => {
  it('$provider offers the providers the selected users connected', async () => {
    const sleep = dashboards.find((d) => d.uid === 'wearhouse-sleep');
    const variable = sleep.templating.list.find((v: { name: string }) => v.name === 'provider');
    const options = async (users: string[]) =>
      (
        await grafana
          .unsafe(
            expandPanelSql(variable.query, { from, to, intervalMs: DAY_MS, variables: { user: users } }),
          )
          .simple()
      ).map((r) => r.provider);
    expect(await options([BOTH])).toEqual(['oura', 'whoop']);
    expect(await options([WHOOP_ONLY])).toEqual(['whoop']);
    expect(await options([OURA_ONLY])).toEqual(['oura']);
  });

  it('every panel runs for WHOOP on mixed data, and the user with both sees only WHOOP nights', async () => {
    for (const target of targets) await run(target, target.repeat ? [BOTH] : [BOTH, WHOOP_ONLY], 'whoop');
    const rows = await run(named('Sleep', 'Sleep stages: $user'), [BOTH], 'whoop');
    const served = sleepStagesByDay(stack.sandbox.control, BOTH);
    const fromDay = from.toISOString().slice(0, 10);
    const toDay = to.toISOString().slice(0, 10);
    for (const row of rows) {
      const day = dayOf(row.time);
      // A night WHOOP has not scored yet has no stages (null, not 0).
      if (day <= fromDay || day >= toDay || row.light === null) continue;
      expect(Number(row.light), day).toBeCloseTo(served.get(day)?.light ?? Number.NaN, 9);
    }
    expect(rows.length).toBeGreaterThan(100);
  });
});
