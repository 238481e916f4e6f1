// Every panel and variable of the cross-provider dashboards (Overview, Compare sources), expanded as
// Grafana expands it, run as the Grafana role on one user with WHOOP (the sandbox over HTTP), Oura
// and Apple Health records (test/support/multi-source.ts): each must succeed and return rows, time
// series with a sorted `time` column. The WHOOP-only dashboards are checked in grafana-panels.test.ts.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectDashboardTargets,
  expandPanelSql,
  type PanelTarget,
  panelIntervalMs,
} from '../grafana/macros.ts';
import { DASHBOARDS, renderDashboards } from '../grafana/src/dashboards.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type MultiSourceData, seedMultiSource } from './support/multi-source.ts';
import { CROSS_PROVIDER_DASHBOARDS, checkSeries, durationMs } from './support/panel-check.ts';
import { DAY_MS, day } from './support/whoop-stack.ts';

const USER = 'multi-pia';
const PROVIDERS = ['apple_health', 'oura', 'whoop'];
const models = [...renderDashboards().values()].map((json) => JSON.parse(json));
const crossProvider = models.filter((m) => CROSS_PROVIDER_DASHBOARDS.includes(m.title));
const targets = crossProvider.flatMap((m) => collectDashboardTargets(m));

let db: TestDatabase;
let data: MultiSourceData;
let grafana: postgres.Sql;
let sources: string[];
const to = new Date();
const from = new Date(to.getTime() - 40 * DAY_MS);

beforeAll(async () => {
  db = await createTestDatabase();
  data = await seedMultiSource(db.sql, USER, day(-100), day(0));
  // What the worker upserts at start (store/providers.ts): the $provider variable reads it.
  await db.sql`insert into providers (name, display_name, requests_per_minute)
    values ('whoop', 'WHOOP', 100), ('oura', 'Oura', 1000), ('apple_health', 'Apple Health', 60)`;
  grafana = postgres(db.grafanaUrl, { max: 2, onnotice: () => {} });
  sources = (
    await grafana<{ label: string }[]>`
      select distinct coalesce(source, provider) as label from daily_health_by_source where user_id = ${USER}`
  ).map((r) => r.label);
});

afterAll(async () => {
  await grafana?.end();
  await data?.close();
  await db?.close();
});

function expand(rawSql: string, timeFrom?: string): string {
  const start = timeFrom ? new Date(to.getTime() - durationMs(timeFrom)) : from;
  return expandPanelSql(rawSql, {
    from: start,
    to,
    intervalMs: panelIntervalMs(start, to),
    variables: { user: [USER], provider: PROVIDERS, source: sources },
  });
}

describe('cross-provider dashboards', () => {
  it('are Overview and Compare sources, with $user, $provider and $source, and have targets', () => {
    expect(crossProvider.map((m) => m.title).sort()).toEqual(['Compare sources', 'Overview']);
    expect(Object.keys(DASHBOARDS)).toContain('compare.json');
    for (const model of crossProvider) {
      expect(model.templating.list.map((v: { name: string }) => v.name)).toEqual([
        'user',
        'provider',
        'source',
      ]);
    }
    expect(targets.length).toBeGreaterThan(15);
    // Every device of the day is there to pick: WHOOP, Oura, the Watch, the iPhone and the copies.
    expect(sources.sort()).toEqual(['Apple Watch', 'Oura', 'WHOOP', 'iPhone', 'oura', 'whoop']);
  });

  it('variables run as the Grafana role and list the providers and sources', async () => {
    for (const model of crossProvider) {
      for (const variable of model.templating.list as { name: string; query: string }[]) {
        const rows = await grafana.unsafe(expand(variable.query)).simple();
        const values = rows.map((r) => String(Object.values(r)[0]));
        if (variable.name === 'provider') expect(values.sort()).toEqual(PROVIDERS);
        if (variable.name === 'source') expect(values.sort()).toEqual([...sources].sort());
        if (variable.name === 'user') expect(values).toContain(USER);
      }
    }
  });

  it.each(targets.map((t: PanelTarget) => [`${t.dashboard} / ${t.panelTitle} / ${t.refId}`, t] as const))(
    '%s runs as the Grafana role and returns rows',
    async (_name, target) => {
      const sql = expand(target.rawSql, target.timeFrom);
      const rows = await grafana.unsafe(sql).simple();
      const columns = rows.columns.map((c) => c.name);
      expect(rows.length, sql).toBeGreaterThan(0);
      if (target.format === 'time_series') {
        expect(columns).toContain('time');
        checkSeries(rows, columns, sql);
      }
    },
  );

  it('deselecting a source removes it from the per-source panels', async () => {
    const target = targets.find(
      (t) => t.dashboard === 'Compare sources' && t.panelTitle === 'Steps by source',
    );
    if (!target) throw new Error('no Steps by source panel');
    const only = expandPanelSql(target.rawSql, {
      from,
      to,
      intervalMs: panelIntervalMs(from, to),
      variables: { user: [USER], provider: ['apple_health'], source: ['iPhone'] },
    });
    const rows = await grafana.unsafe(only).simple();
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.metric))).toEqual(new Set([`${USER} iPhone`]));
  });
});
