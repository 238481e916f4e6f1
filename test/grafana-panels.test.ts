// Every dashboard panel's SQL, expanded as Grafana expands it, run as the Grafana role on a
// seeded year of data: it must succeed, return rows for the range and, for time series, a `time`
// column sorted ascending (what Grafana's long-to-wide conversion demands). Also: the role's
// limits, the views' index use, the alert queries, and that the checker rejects broken panels.
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
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type SeedSummary, seedRecords } from './support/seed-records.ts';

const DAY = 86_400_000;
const targets = [...renderDashboards().values()].flatMap((json) => collectDashboardTargets(JSON.parse(json)));

let db: TestDatabase;
let grafana: postgres.Sql;
let seed: SeedSummary;

beforeAll(async () => {
  db = await createTestDatabase();
  seed = await seedRecords(db.sql);
  grafana = postgres(db.grafanaUrl, { max: 4, onnotice: () => {} });
});

afterAll(async () => {
  await grafana?.end();
  await db?.close();
});

interface CheckResult {
  rows: number;
  columns: string[];
}

/** Runs one target as Grafana would for the seeded range and all users; throws what is wrong. */
async function checkTarget(target: PanelTarget, users: string[] = seed.users): Promise<CheckResult> {
  const to = seed.to;
  // A panel's relative time override ("90d") queries that much before the range's end.
  const from = target.timeFrom ? new Date(to.getTime() - durationMs(target.timeFrom)) : seed.from;
  // A repeated panel is one copy per value, each seeing that value alone.
  const selections = target.repeat ? users.map((u) => [u]) : [users];
  let result: CheckResult = { rows: 0, columns: [] };
  for (const selection of selections) {
    const sql = expandPanelSql(target.rawSql, {
      from,
      to,
      intervalMs: panelIntervalMs(from, to),
      variables: { user: selection },
    });
    // Grafana sends panel SQL over the simple query protocol (sqleng execQuery: PgConn.Exec).
    const rows = await grafana.unsafe(sql).simple();
    const columns = rows.columns.map((c) => c.name);
    if (rows.length === 0) throw new Error(`no rows for ${selection.join(',')} in the seeded range:\n${sql}`);
    if (target.format === 'time_series') checkSeries(rows, columns, sql);
    result = { rows: result.rows + rows.length, columns };
  }
  return result;
}

function checkSeries(rows: Record<string, unknown>[], columns: string[], sql: string): void {
  if (!columns.includes('time')) throw new Error(`time series without a "time" column (${columns}):\n${sql}`);
  const values = columns.filter((c) => c !== 'time' && c !== 'metric');
  if (values.length === 0) throw new Error(`time series without a value column:\n${sql}`);
  let previous = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const time = epochMs(row.time);
    if (time === null) throw new Error(`null or non-time value in "time" (${String(row.time)}):\n${sql}`);
    if (time < previous)
      throw new Error(`"time" is not sorted ascending (${time} after ${previous}):\n${sql}`);
    previous = time;
  }
}

/** Grafana accepts native timestamps and epoch numbers (seconds or ms) as time. */
function epochMs(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
    const n = Number(value);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  return null;
}

function durationMs(text: string): number {
  const match = /^(\d+)([hdw])$/.exec(text);
  if (!match) throw new Error(`unsupported relative time ${text}`);
  return Number(match[1]) * { h: DAY / 24, d: DAY, w: 7 * DAY }[match[2] as 'h' | 'd' | 'w'];
}

describe('every panel of every dashboard', () => {
  it('has targets to check', () => {
    expect(targets.length).toBeGreaterThan(40);
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
      (sql: string) => sql.replace(`$__timeGroupAlias(day, '1d')`, 'day'),
      /"time" column/,
    ],
    [
      'time sorted descending',
      (sql: string) => sql.replace('order by 1, 2', 'order by 1 desc, 2'),
      /not sorted/,
    ],
    [
      'no rows in the range',
      (sql: string) => sql.replace('is not null', "is not null and day < '2000-01-01'"),
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
      from: seed.from,
      to: seed.to,
      intervalMs: DAY,
      variables: { user: ["x') or 1=1 --"] },
    });
    expect(await grafana.unsafe(sql).simple()).toHaveLength(0);
  });
});

describe('the Grafana role', () => {
  it('cannot read connections (tokens), only connection_status', async () => {
    await expect(grafana`select * from connections`).rejects.toThrow(/permission denied/);
    expect((await grafana`select provider, user_id, status from connection_status`).length).toBe(2);
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
        return tx.unsafe(`explain select * from ${view} where user_id in ('alice')`);
      });
      const text = plan.map((row) => Object.values(row)[0]).join('\n');
      expect(text, view).not.toMatch(/Seq Scan on records/);
      expect((await grafana.unsafe(`select count(*)::int as n from ${view}`))[0]?.n, view).toBeGreaterThan(0);
    }
  });
});

describe('views', () => {
  it('hide soft-deleted records and give recoveries the day of their cycle', async () => {
    const [deleted] =
      await db.sql`select source_id from records where deleted_at is not null and kind = 'workout'`;
    expect(deleted).toBeDefined();
    expect(
      await grafana`select 1 from workouts where source_id = ${deleted?.source_id as string}`,
    ).toHaveLength(0);
    // Half the seeded recoveries have no times of their own: each still gets its cycle's day.
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
          from: new Date(seed.to.getTime() - 600_000),
          to: seed.to,
          intervalMs: 60_000,
          variables: {},
        });
        results.set(rule.uid, await grafana.unsafe(sql).simple());
      }
    }
    const stale = results.get('wearhouse-connection-stale') ?? [];
    const hours = Object.fromEntries(stale.map((r) => [r.user_id, Number(r.hours_since_success)]));
    expect(hours.bob).toBeGreaterThan(2);
    expect(hours.alice).toBeLessThan(2);
    expect(results.get('wearhouse-connection-reauth')).toEqual([]);
  });
});
