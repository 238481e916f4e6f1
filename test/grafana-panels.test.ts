// Every dashboard panel's SQL, expanded as Grafana expands it, run as the Grafana role on a year of
// data that real backfills stored (test/support/panel-backfill.ts: the sandbox over HTTP, the real
// worker and Temporal, with injected faults, a coverage gap, deletions, a stale connection and a
// backfill still running): it must succeed, return rows for the range and, for time series, a
// `time` column sorted ascending (what Grafana's long-to-wide conversion demands). Some panels are
// compared with what the sandbox served. Also: the role's limits, the views' index use, the alert
// queries, and that the checker rejects broken panels.
import { readFile } from 'node:fs/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  collectDashboardTargets,
  expandPanelSql,
  type PanelTarget,
  panelIntervalMs,
} from '../grafana/macros.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { backfillPanelData, type PanelData } from './support/panel-backfill.ts';
import { CROSS_PROVIDER_DASHBOARDS, checkSeries, durationMs, epochMs } from './support/panel-check.ts';
import { recoveryByDay, type Stages, sleepStagesByDay, workoutsBySport } from './support/sandbox-expected.ts';

const DAY = 86_400_000;
/** Only targets on the project's Postgres datasource run SQL (others, e.g. Prometheus, are skipped). */
const POSTGRES_UID = 'wearhouse-postgres';
const sqlTargets = [...renderDashboards().values()].flatMap((json) =>
  collectDashboardTargets(JSON.parse(json)),
);
// The cross-provider dashboards need more than WHOOP data (steps, several devices): they are
// checked on one user with WHOOP, Oura and Apple Health in test/daily-health-panels.test.ts.
const targets = sqlTargets.filter(
  (t) => t.datasourceUid === POSTGRES_UID && !CROSS_PROVIDER_DASHBOARDS.includes(t.dashboard),
);

let data: PanelData;
let grafana: postgres.Sql;
let providers: string[];

beforeAll(async () => {
  data = await backfillPanelData();
  grafana = postgres(data.stack.db.grafanaUrl, { max: 4, onnotice: () => {} });
  providers = (await grafana<{ name: string }[]>`select name from providers order by 1`).map((r) => r.name);
});

afterAll(async () => {
  await grafana?.end();
  await data?.close();
});

interface CheckResult {
  rows: number;
  columns: string[];
}

/** Expands a target as Grafana would for the backfilled range and runs it as the Grafana role. */
/** `provider` defaults to "All"; the WHOOP cross-checks pick WHOOP, as a user of a one-provider dashboard does. */
async function runTarget(target: PanelTarget, users: string[], provider: string[] = providers) {
  const to = data.to;
  // A panel's relative time override ("90d") queries that much before the range's end.
  const from = target.timeFrom ? new Date(to.getTime() - durationMs(target.timeFrom)) : data.from;
  const sql = expandPanelSql(target.rawSql, {
    from,
    to,
    intervalMs: panelIntervalMs(from, to),
    // $provider is "All" unless a test picks one: every provider of the providers table, as Grafana sends it.
    variables: { user: users, provider },
  });
  // Grafana sends panel SQL over the simple query protocol (sqleng execQuery: PgConn.Exec).
  const rows = await grafana.unsafe(sql).simple();
  return { sql, rows, columns: rows.columns.map((c) => c.name) };
}

/** Runs one target for the backfilled range and all users; throws what is wrong. */
async function checkTarget(target: PanelTarget, users: string[] = data.users): Promise<CheckResult> {
  // A repeated panel is one copy per value, each seeing that value alone.
  const selections = target.repeat ? users.map((u) => [u]) : [users];
  let result: CheckResult = { rows: 0, columns: [] };
  for (const selection of selections) {
    const { sql, rows, columns } = await runTarget(target, selection);
    if (rows.length === 0) throw new Error(`no rows for ${selection.join(',')} in the range:\n${sql}`);
    if (target.format === 'time_series') checkSeries(rows, columns, sql);
    result = { rows: result.rows + rows.length, columns };
  }
  return result;
}

describe('every panel of every dashboard', () => {
  it('has targets to check', () => {
    expect(targets.length).toBeGreaterThan(30); // Overview and Compare sources: test/daily-health-panels.test.ts
    // A SQL target without a datasource would be skipped here unnoticed.
    expect(sqlTargets.filter((t) => t.datasourceUid === undefined)).toEqual([]);
  });

  it.each(targets.map((t) => [`${t.dashboard} / ${t.panelTitle} / ${t.refId}`, t] as const))(
    '%s runs as the Grafana role and returns rows',
    async (_name, target) => {
      const result = await checkTarget(target);
      expect(result.rows).toBeGreaterThan(0);
      if (target.format === 'time_series') expect(result.columns).toContain('time');
    },
  );
});

/** The target of a panel, by dashboard and panel title. */
function panel(dashboard: string, title: string): PanelTarget {
  const found = targets.find((t) => t.dashboard === dashboard && t.panelTitle === title);
  if (!found) throw new Error(`no panel "${title}" in ${dashboard}`);
  return found;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);
const dayOf = (time: unknown) => isoDay(new Date(epochMs(time) as number));
/** Days strictly inside the range: where the range cuts the first and last day is not compared. */
const inside = (day: string) => day > isoDay(data.from) && day < isoDay(data.to);

describe('panels show what the sandbox served and what the runs did', () => {
  it('Recovery score: each day, the mean score of the recoveries of that day', async () => {
    const user = data.users[0] as string;
    const { rows } = await runTarget(panel('Recovery', 'Recovery score'), [user]);
    const shown = rows.map((r) => [dayOf(r.time), Number(r.value)] as const).filter(([d]) => inside(d));
    const served = [...recoveryByDay(data.stack.sandbox.control, user)].filter(([d]) => inside(d));
    expect(served.length).toBeGreaterThan(350);
    expect(Object.fromEntries(shown)).toEqual(Object.fromEntries(served));
  });

  it('Sleep stages and hours asleep: each night, the stage sums of the sleeps the sandbox served', async () => {
    const user = data.users[0] as string;
    const { rows } = await runTarget(panel('Sleep', 'Sleep stages: $user'), [user], ['whoop']);
    const shown = new Map<string, Stages>(
      rows
        .filter((r) => r.light !== null && inside(dayOf(r.time)))
        .map((r) => [
          dayOf(r.time),
          {
            deep: Number(r['deep (slow wave)']),
            rem: Number(r.REM),
            light: Number(r.light),
            awake: Number(r.awake),
          },
        ]),
    );
    const served = new Map(
      [...sleepStagesByDay(data.stack.sandbox.control, user)].filter(([d]) => inside(d)),
    );
    expect(served.size).toBeGreaterThan(350);
    expect([...shown.keys()].sort()).toEqual([...served.keys()].sort());
    for (const [day, stages] of served)
      for (const stage of ['deep', 'rem', 'light', 'awake'] as const)
        expect(shown.get(day)?.[stage], `${day} ${stage}`).toBeCloseTo(stages[stage], 9);
    // Hours asleep are the three sleep stages, awake time excluded.
    const asleep = await runTarget(panel('Sleep', 'Mean hours asleep'), [user], ['whoop']);
    for (const row of asleep.rows.filter((r) => inside(dayOf(r.time)))) {
      const stages = served.get(dayOf(row.time));
      expect(Number(row.value), dayOf(row.time)).toBeCloseTo(
        (stages?.deep ?? Number.NaN) + (stages?.rem ?? 0) + (stages?.light ?? 0),
        9,
      );
    }
  });

  it('Workouts by sport: the workouts the sandbox served in the range, live ones only', async () => {
    const user = data.users[0] as string;
    const { rows } = await runTarget(panel('Strain & workouts', 'Workouts by sport'), [user], ['whoop']);
    const served = workoutsBySport(data.stack.sandbox.control, user, data.from, data.to);
    expect(rows.map((r) => r.sport).sort()).toEqual([...served.keys()].sort());
    for (const row of rows) {
      const expected = served.get(row.sport as string);
      expect(Number(row.workouts), row.sport as string).toBe(expected?.workouts);
      expect(Number(row.hours), row.sport as string).toBeCloseTo(expected?.hours ?? Number.NaN, 9);
    }
  });

  it('Pipeline health: failures by class, the gap, quarantine, deletions, staleness, the running backfill', async () => {
    const rowsOf = async (title: string) =>
      (await runTarget(panel('Pipeline health', title), data.users)).rows;
    const classes = (await rowsOf('Failures by class')).map((r) => r.class);
    expect(classes).toEqual(expect.arrayContaining(['RateLimited', 'ProviderUnavailable']));
    // The widest gap is the span no backfill covered; the others are the seconds since the last one.
    const [widest] = await rowsOf('Coverage gaps');
    expect(widest).toMatchObject({
      user: data.gap.userId,
      kind: data.gap.kind,
      'gap from': data.gap.start,
      'gap to': data.gap.end,
    });
    // Malformed records were served during one backfill of the second user only.
    const quarantined = await rowsOf('Quarantined records');
    expect(quarantined.length).toBeGreaterThan(0);
    expect(new Set(quarantined.map((r) => r.user))).toEqual(new Set([data.users[1]]));
    const outcomes = await rowsOf('Upserts by outcome');
    const total = (column: string) => outcomes.reduce((sum, r) => sum + Number(r[column] ?? 0), 0);
    expect(total('deleted')).toBe(data.deleted.length);
    expect(total('updated')).toBeGreaterThan(0);
    expect(total('quarantined')).toBe(quarantined.reduce((sum, r) => sum + Number(r.records), 0));
    expect(await rowsOf('Stale connections')).toEqual([{ stale: '1' }]);
    const running = await rowsOf('Running backfills and syncs');
    expect(new Set(running.map((r) => r.workflow))).toEqual(new Set([data.running.workflowId]));
    expect(running.every((r) => r.user === data.users[1])).toBe(true);
  });
});

describe('many users selected: the across-user mean (docs/dashboards.md, "Many users")', () => {
  it('Recovery score is, per day, the mean of the users’ own values: from the stored sums with every user, from their rows with some', async () => {
    const target = panel('Recovery', 'Recovery score');
    const byDay = new Map<string, number[]>();
    for (const user of data.users) {
      const { rows } = await runTarget(target, [user]);
      expect(new Set(rows.map((r) => r.metric))).toEqual(new Set([user]));
      for (const r of rows) byDay.set(dayOf(r.time), [...(byDay.get(dayOf(r.time)) ?? []), Number(r.value)]);
    }
    const expected = new Map([...byDay].map(([d, v]) => [d, v.reduce((a, b) => a + b, 0) / v.length]));
    expect([...byDay.values()].some((v) => v.length > 1)).toBe(true);
    const check = (rows: Record<string, unknown>[]) => {
      expect(new Set(rows.map((r) => r.metric))).toEqual(new Set(['mean of selected users']));
      expect(rows.map((r) => dayOf(r.time)).sort()).toEqual([...expected.keys()].sort());
      for (const r of rows)
        expect(Number(r.value), dayOf(r.time)).toBeCloseTo(expected.get(dayOf(r.time)) ?? NaN, 9);
    };
    // Every user of the $user list: daily_summary_across_users.
    check((await runTarget(target, data.users)).rows);
    // One more user in the list makes the same selection "some users": their daily_summary rows.
    await data.stack.db.sql`insert into users (id) values ('panel-nobody')`;
    try {
      check((await runTarget(target, data.users)).rows);
    } finally {
      await data.stack.db.sql`delete from users where id = 'panel-nobody'`;
    }
  });
});

describe('many users selected: stored sums over users answer "All" as the users’ own rows do', () => {
  // With every user selected these panels read across-user tables (sql/121, sql/122, sql/124;
  // docs/dashboards.md, "Many users"); one more user in the list makes the same selection "some
  // users", answered from each user's own rows. Both must draw the same points.
  it.each([
    ['Sleep', 'Sleep debt'],
    ['Sleep', 'Hours asleep against sleep needed'],
    ['Sleep', 'Performance, efficiency, consistency'],
    ['Sleep', 'Respiratory rate'],
    ['Sleep', 'Bed and wake times'],
    ['Strain & workouts', 'Workouts'],
    ['Strain & workouts', 'Weekly training volume'],
    ['Pipeline health', 'Upserts by outcome'],
    ['Pipeline health', 'Sync runs by status'],
    ['Recovery', 'Days per recovery band'],
  ])('%s / %s', async (dashboard, title) => {
    const target = panel(dashboard, title);
    // The Sleep and Strain dashboards' $provider holds one provider (connectedProviderVariable):
    // each provider alone, as Grafana sends it. The pipeline panels have no $provider.
    const selections = target.rawSql.includes('${provider') ? providers.map((p) => [p]) : [providers];
    // A table of one row per user has no time column: its text columns are the row's key.
    let points = 0;
    for (const provider of selections) {
      const all = (await runTarget(target, data.users, provider)).rows;
      await data.stack.db.sql`insert into users (id) values ('panel-nobody')`;
      let some: Record<string, unknown>[];
      try {
        some = (await runTarget(target, data.users, provider)).rows;
      } finally {
        await data.stack.db.sql`delete from users where id = 'panel-nobody'`;
      }
      points += all.length;
      // A point is its time and its text columns (the series name); the rest are its values.
      const keys = (rows: Record<string, unknown>[]) =>
        rows.map((r) =>
          [
            epochMs(r.time),
            ...Object.entries(r).flatMap(([c, v]) =>
              c !== 'time' && typeof v === 'string' && Number.isNaN(Number(v)) ? [v] : [],
            ),
          ].join(' '),
        );
      expect(keys(all), provider.join()).toEqual(keys(some));
      all.forEach((row, i) => {
        for (const [column, value] of Object.entries(row)) {
          if (column === 'time' || (typeof value === 'string' && Number.isNaN(Number(value)))) continue;
          const other = some[i]?.[column];
          if (value === null || other === null) expect(value, column).toBe(other);
          else expect(Number(value), `${column} at ${keys(all)[i]}`).toBeCloseTo(Number(other), 6);
        }
      });
    }
    expect(points).toBeGreaterThan(0);
  });
});

describe('the checker rejects broken panels', () => {
  const base = targets.find((t) => t.panelTitle === 'Recovery score') as PanelTarget;

  it('a clean panel passes (the baseline for the cases below)', async () => {
    await expect(checkTarget(base)).resolves.toMatchObject({ columns: ['time', 'metric', 'value'] });
  });

  it.each([
    [
      'a misspelt column',
      (sql: string) => sql.replace('recovery_pct as value', 'recovery_percent as value'),
      /recovery_percent/,
    ],
    [
      'a missing time column',
      // Every arm of the union (one user, some users, all users) names its time column.
      (sql: string) => sql.replaceAll(`$__timeGroupAlias(day, '1d')`, 'day'),
      /"time" column/,
    ],
    [
      'time sorted descending',
      (sql: string) => sql.replace('order by 1, 2', 'order by 1 desc, 2'),
      /not sorted/,
    ],
    [
      'no rows in the range',
      (sql: string) => sql.replaceAll('$__timeFilter(day)', "$__timeFilter(day) and day < '2000-01-01'"),
      /no rows/,
    ],
    [
      'an unknown macro',
      (sql: string) => sql.replace('$__timeFilter(day)', '$__timeFiltre(day)'),
      /unknown macro/,
    ],
    [
      'a write',
      () => `insert into users (id) values ('mallory') returning now() as time, 1 as value`,
      /read-only|permission/,
    ],
  ])('%s fails', async (_name, breakIt, error) => {
    await expect(checkTarget({ ...base, rawSql: breakIt(base.rawSql) })).rejects.toThrow(error);
  });

  it('a hostile $user value stays a literal: the panel runs and matches nobody', async () => {
    const sql = expandPanelSql(base.rawSql, {
      from: data.from,
      to: data.to,
      intervalMs: DAY,
      variables: { user: ["x') or 1=1 --"], provider: ['whoop'] },
    });
    expect(await grafana.unsafe(sql).simple()).toHaveLength(0);
  });
});

describe('the Grafana role', () => {
  it('cannot read connections (tokens), only connection_status', async () => {
    await expect(grafana`select * from connections`).rejects.toThrow(/permission denied/);
    expect((await grafana`select provider, user_id, status from connection_status`).length).toBe(
      data.users.length,
    );
  });

  it('cannot write records', async () => {
    await expect(
      grafana`insert into records (provider, user_id, kind, source_id, payload) values ('x', 'x', 'x', 'x', '{}')`,
    ).rejects.toThrow(/permission denied|read-only/);
    await expect(grafana`update records set deleted_at = now()`).rejects.toThrow(
      /permission denied|read-only/,
    );
  });

  it('reads the views, and a one-user query reaches records only through indexes', async () => {
    for (const view of [
      'sleeps',
      'recoveries',
      'workouts',
      'cycles',
      'daily_summary',
      'pipeline_freshness',
    ]) {
      const plan = await grafana.begin(async (tx) => {
        // With sequential scans priced out, a Seq Scan left in the plan means no index fits.
        await tx`set local enable_seqscan = off`;
        return tx.unsafe(`explain select * from ${view} where user_id in ('${data.users[0]}')`);
      });
      const text = plan.map((row) => Object.values(row)[0]).join('\n');
      expect(text, view).not.toMatch(/Seq Scan on records/);
      expect((await grafana.unsafe(`select count(*)::int as n from ${view}`))[0]?.n, view).toBeGreaterThan(0);
    }
  });
});

describe('views', () => {
  it('hide soft-deleted records and give recoveries the day of their cycle', async () => {
    const [deleted] = await data.stack.db
      .sql`select source_id from records where deleted_at is not null and kind = 'workout'`;
    expect(deleted).toBeDefined();
    expect(
      await grafana`select 1 from workouts where source_id = ${deleted?.source_id as string}`,
    ).toHaveLength(0);
    // WHOOP recoveries have no times of their own: each gets its cycle's day and start.
    const rows = await grafana`
      select r.day = c.day as same_day, r.start_at = c.start_at as same_start
      from recoveries r join cycles c using (provider, user_id)
      where c.source_id = r.cycle_source_id`;
    expect(rows.length).toBeGreaterThan(600);
    expect(rows.every((r) => r.same_day && r.same_start)).toBe(true);
  });

  it('daily_summary has one row per user and day, with units the column names promise', async () => {
    const [dupes] = await grafana`
      select count(*)::int as n from (select 1 from daily_summary group by user_id, provider, day having count(*) > 1) d`;
    expect(dupes?.n).toBe(0);
    const [typical] = await grafana`
      select avg(sleep_h) as sleep_h, avg(energy_kcal / energy_kj) as kcal_per_kj, max(recovery_pct) as max_recovery
      from daily_summary`;
    expect(Number(typical?.sleep_h)).toBeGreaterThan(5);
    expect(Number(typical?.sleep_h)).toBeLessThan(10);
    expect(Number(typical?.kcal_per_kj)).toBeCloseTo(1 / 4.184, 6);
    expect(Number(typical?.max_recovery)).toBeLessThanOrEqual(100);
  });
});

describe('provisioned alert rules', () => {
  it('run as the Grafana role; the staleness rule flags the connection that stopped syncing', async () => {
    const file = parse(
      await readFile(new URL('../grafana/provisioning/alerting/wearhouse.yml', import.meta.url), 'utf8'),
    );
    const rules = file.groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
      uid: string;
      data: { datasourceUid: string; model: { rawSql?: string } }[];
    }[];
    const results = new Map<string, Record<string, unknown>[]>();
    for (const rule of rules) {
      for (const query of rule.data.filter((d) => d.datasourceUid === 'wearhouse-postgres')) {
        const sql = expandPanelSql(query.model.rawSql as string, {
          from: new Date(data.to.getTime() - 600_000),
          to: data.to,
          intervalMs: 60_000,
          variables: {},
        });
        results.set(rule.uid, await grafana.unsafe(sql).simple());
      }
    }
    const stale = results.get('wearhouse-connection-stale') ?? [];
    const hours = Object.fromEntries(stale.map((r) => [r.user_id, Number(r.hours_since_success)]));
    const [freshUser, staleUser] = data.users as [string, string];
    // The stale user's ledger was moved 3 hours back (the one synthetic step of the data).
    expect(hours[staleUser]).toBeGreaterThan(2);
    expect(hours[freshUser]).toBeLessThan(2);
    expect(results.get('wearhouse-connection-reauth')).toEqual([]);
  });
});
