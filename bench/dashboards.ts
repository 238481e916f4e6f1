// 4. Dashboard queries: every panel target of the committed dashboards (grafana/dashboards/*.json),
// expanded as Grafana expands it (grafana/macros.ts) and sent over the simple query protocol as the
// Grafana role, on two shapes of data: N users × 5 years (stored through upsertRecords) and M users ×
// 1 year (cloned in SQL from a few stored users). p50/p95 per panel over the last 30 days and the
// last year, one user selected (a different user each run) and all users ("All").
import postgres from 'postgres';
import { expandPanelSql, type PanelTarget, panelIntervalMs } from '../grafana/macros.ts';
import { providerCatalog } from '../providers/catalog.ts';
import { providerBudgets } from '../providers/registry.ts';
import { upsertProviders } from '../store/providers.ts';
import { loadConfig } from '../worker/config.ts';
import { type LoadedData, loadDashboardData, loadWideData } from './dashboard-data.ts';
import type { BenchDatabase, BenchServices } from './harness.ts';
import { DAY_MS } from './harness.ts';
import {
  boundOf,
  cells,
  durationMs,
  explain,
  loadTargets,
  type PanelTiming,
  type QueryTiming,
  sourceOf,
  TARGET_MS,
  timeQuery,
} from './panel-timing.ts';
import type { Section } from './report.ts';
import { round } from './stats.ts';
import { measureWritePath, type WritePathTiming } from './write-path.ts';

export interface DashboardOptions {
  users: number;
  /** Measured runs per panel, range and single-user selection. */
  runs: number;
  /** Measured runs with every user selected. */
  allRuns: number;
  /** Time allowed for all "All" measurements of one data set together; later panels are skipped. */
  allBudgetSeconds: number;
  /** The second data set: this many users × 1 year, cloned in SQL from `wideTemplates` stored users. */
  wideUsers: number;
  wideTemplates: number;
  /** Days of 15-minute incremental syncs in the second data set's run ledger. */
  wideSyncDays: number;
}

/** An "All" query slower than this is run once after its warm-up, not `allRuns` times. */
const ALL_SLOW_MS = 1000;
const BUDGET_PANEL = 'Pipeline health / API requests against the budget';

interface DatasetResult {
  label: string;
  data: LoadedData;
  timings: PanelTiming[];
  plans: { panel: string; range: string; source: string; lines: string[]; summary: string }[];
  writePath: WritePathTiming;
}

export async function measureDashboards(
  services: BenchServices,
  options: DashboardOptions,
  log: (line: string) => void,
): Promise<Section> {
  const started = performance.now();
  const targets = await loadTargets();
  const deep = await onDataset(services, `${options.users} users × 5 years`, targets, options, log, (db) =>
    loadDashboardData(db, options.users, log),
  );
  const wide = await onDataset(services, `${options.wideUsers} users × 1 year`, targets, options, log, (db) =>
    loadWideData(db, options.wideUsers, options.wideTemplates, options.wideSyncDays, log),
  );
  const figures = [...datasetFigures(deep), ...datasetFigures(wide)];
  return {
    id: 'dashboards',
    title: 'Dashboard queries',
    method:
      `Two data sets. (a) ${deep.data.records} records: ${deep.data.users.length} users × the sandbox's 5 years + ` +
      `30 days, stored with upsertRecords in calls of 5000 at ${Math.round(deep.data.recordsPerSecond)} records/s ` +
      `(the records trigger off; the stored daily and typed rows computed once afterwards, as a migration does), and ${deep.data.syncRuns} sync_runs ` +
      `rows (a month of 15-minute syncs for every user and kind). (b) ${wide.data.records} records: ` +
      `${wide.data.users.length} users × the last year + 30 days, ${options.wideTemplates} users stored with ` +
      `upsertRecords and cloned in SQL (one INSERT … SELECT per 100 users and table, stored daily and typed rows copied; across-user sums and hourly rollups computed once), and ` +
      `${wide.data.syncRuns} sync_runs rows (${options.wideSyncDays} days of 15-minute syncs per user and kind). ` +
      'Both then VACUUM ANALYZE. Every target of grafana/dashboards/*.json ' +
      `(${targets.length}) expanded with grafana/macros.ts (a panel's min interval honoured), sent over the simple ` +
      'query protocol as wearhouse_grafana (read-only, 10 s statement timeout), one connection, after one ' +
      `warm-up run: ${options.runs} runs with one user selected (a different user each run) and up to ` +
      `${options.allRuns} with every user selected (one when the warm-up took over ${ALL_SLOW_MS} ms; "All" stops ` +
      `after ${options.allBudgetSeconds} s per data set), over the last 30 days and the last year (panels with ` +
      'their own relative time keep it). Time is until the last row is received.',
    figures,
    tables: [deep, wide].map((d) => ({
      title: `Every panel, ${d.label} (ms)`,
      headers: [
        'panel',
        'range',
        'reads',
        'one user p50',
        'one user p95',
        'rows',
        'all p50',
        'all p95',
        'rows',
      ],
      rows: d.timings.map((t) => [
        t.panel,
        t.range,
        t.source,
        ...cells(t.single),
        ...(t.all && 'p95' in t.all ? cells(t.all) : [t.all?.skipped ?? '', '', '']),
      ]),
    })),
    notes: [deep, wide].flatMap((d) => [
      `${d.label}: EXPLAIN (ANALYZE, BUFFERS) of the slowest single-user panel of each view or table, for ` +
        `${d.data.users[0]} (full plans in REPORT.json, sections[].details); the three slowest:`,
      ...d.plans.slice(0, 3).map((p) => `${p.panel} (${p.range}, reads ${p.source}): ${p.summary}`),
    ]),
    details: {
      datasets: [deep, wide].map((d) => ({
        label: d.label,
        data: d.data,
        timings: d.timings,
        plans: d.plans,
      })),
    },
    seconds: (performance.now() - started) / 1000,
  };
}

async function onDataset(
  services: BenchServices,
  label: string,
  targets: PanelTarget[],
  options: DashboardOptions,
  log: (line: string) => void,
  load: (db: BenchDatabase) => Promise<LoadedData>,
): Promise<DatasetResult> {
  const db = await services.createDatabase(`dashboards_${label.replace(/\W+/g, '_')}`);
  const grafana = postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });
  try {
    log(`dashboards: loading ${label}`);
    const data = await load(db);
    // As a worker does at start: the providers the dashboards' $provider variable lists ("All").
    await upsertProviders(db.sql, providerBudgets(loadConfig({})));
    const providers = Object.keys(providerCatalog);
    // The $source variable with "All" selected: every device or app the stored days name.
    const sources = (
      await db.sql<
        { s: string }[]
      >`select distinct coalesce(source, provider) as s from daily_health_by_source`
    ).map((r) => r.s);
    log(
      `dashboards: ${data.records} records, ${data.syncRuns} sync runs loaded in ${Math.round(data.loadSeconds)} s`,
    );
    const to = new Date();
    const ranges = [
      { label: '30 days', from: new Date(to.getTime() - 30 * DAY_MS) },
      { label: '1 year', from: new Date(to.getTime() - 365 * DAY_MS) },
    ];
    let userIndex = 0;
    const nextUser = () => data.users[userIndex++ % data.users.length] as string;
    const cases = targets.flatMap((target) =>
      ranges.map((range) => {
        const from = target.timeFrom ? new Date(to.getTime() - durationMs(target.timeFrom)) : range.from;
        const expand = (users: string[]) =>
          expandPanelSql(target.rawSql, {
            from,
            to,
            intervalMs: panelIntervalMs(from, to, 1000, target.interval),
            variables: { user: users, provider: providers, source: sources },
          });
        const timing: PanelTiming = {
          panel: `${target.dashboard} / ${target.panelTitle}${target.refId === 'A' ? '' : ` (${target.refId})`}`,
          source: sourceOf(target.rawSql),
          range: target.timeFrom ? `${range.label} (panel: last ${target.timeFrom})` : range.label,
          single: { p50: Number.NaN, p95: Number.NaN, rows: 0, runs: 0 },
        };
        return { target, rangeLabel: range.label, expand, timing };
      }),
    );
    log(`dashboards (${label}): ${cases.length} panel × range cases, one user`);
    for (const c of cases)
      c.timing.single = await timeQuery(grafana, () => c.expand([nextUser()]), options.runs);
    log(`dashboards (${label}): all users selected`);
    let allSpentMs = 0;
    for (const c of [
      ...cases.filter((c) => c.rangeLabel === ranges[0]?.label),
      ...cases.filter((c) => c.rangeLabel !== ranges[0]?.label),
    ]) {
      if (c.target.repeat) {
        // A repeated panel is one query per selected user, each with that user alone.
        c.timing.all = { skipped: `repeated per user: ${data.users.length} × one user` };
      } else if (allSpentMs > options.allBudgetSeconds * 1000) {
        c.timing.all = { skipped: 'not measured (time budget for "All" spent)' };
      } else {
        const t = performance.now();
        c.timing.all = await timeQuery(grafana, () => c.expand(data.users), options.allRuns, ALL_SLOW_MS);
        allSpentMs += performance.now() - t;
      }
    }
    // The slowest single-user panel of each view or table, and the slowest "All" one, under EXPLAIN ANALYZE.
    const slowestBySource = new Map<string, (typeof cases)[number]>();
    for (const c of cases) {
      const best = slowestBySource.get(c.timing.source);
      if (!best || c.timing.single.p50 > best.timing.single.p50) slowestBySource.set(c.timing.source, c);
    }
    const plans = [];
    for (const c of [...slowestBySource.values()].sort((a, b) => b.timing.single.p50 - a.timing.single.p50)) {
      plans.push({
        panel: c.timing.panel,
        range: c.timing.range,
        source: c.timing.source,
        ...(await explain(grafana, c.expand([data.users[0] as string]))),
      });
    }
    const allOf = (c: (typeof cases)[number]) =>
      c.timing.all && 'p95' in c.timing.all ? c.timing.all.p95 : 0;
    const slowestAll = cases.reduce((a, b) => (allOf(b) > allOf(a) ? b : a));
    plans.push({
      panel: `${slowestAll.timing.panel} (all users)`,
      range: slowestAll.timing.range,
      source: slowestAll.timing.source,
      ...(await explain(grafana, slowestAll.expand(data.users))),
    });
    log(`dashboards (${label}): write path, pages of 25 with and without the records trigger`);
    const writePath = await measureWritePath(db, data.users[0] as string);
    return { label, data, timings: cases.map((c) => c.timing), plans, writePath };
  } finally {
    await grafana.end({ timeout: 5 });
    await db.close();
  }
}

function datasetFigures(d: DatasetResult) {
  const p95 = (t: QueryTiming) => (t.error ? Number.POSITIVE_INFINITY : t.p95);
  const timings = d.timings;
  const over = timings.filter((t) => p95(t.single) >= TARGET_MS);
  const allMeasured = timings.filter((t): t is PanelTiming & { all: QueryTiming } =>
    Boolean(t.all && 'p95' in t.all),
  );
  const allSkipped = timings.filter(
    (t) => t.all && 'skipped' in t.all && !t.all.skipped.startsWith('repeated'),
  );
  const allOver = allMeasured.filter((t) => p95(t.all) >= TARGET_MS);
  const worst = timings.reduce((a, b) => (p95(b.single) > p95(a.single) ? b : a));
  const worstAll = allMeasured.reduce<(typeof allMeasured)[number] | undefined>(
    (a, b) => (!a || p95(b.all) > p95(a.all) ? b : a),
    undefined,
  );
  const budget = timings.filter((t) => t.panel === BUDGET_PANEL);
  const budgetWorst = Math.max(
    ...budget.flatMap((t) => [p95(t.single), t.all && 'p95' in t.all ? p95(t.all) : 0]),
  );
  const describe = (t: PanelTiming) => `${t.panel} (${t.range}, reads ${t.source})`;
  const at = `, ${d.label}`;
  const value = (v: number) => (Number.isFinite(v) ? round(v, 1) : 'failed');
  return [
    {
      label: `slowest panel p95, one user${at}`,
      value: value(p95(worst.single)),
      unit: 'ms',
      target: `< ${TARGET_MS} ms`,
      met: p95(worst.single) < TARGET_MS,
      why: `${describe(worst)}: ${boundOf(worst.source)}`,
    },
    {
      label: `panel × range combinations with p95 ≥ 100 ms, one user${at}`,
      value: over.length,
      target: '0',
      met: over.length === 0,
      why: over.length
        ? `Over: ${over.map(describe).join('; ')}.`
        : `All ${timings.length} panel × range combinations are under ${TARGET_MS} ms.`,
    },
    {
      label: `slowest panel p95, all ${d.data.users.length} users${at}`,
      value: worstAll ? value(p95(worstAll.all)) : null,
      unit: 'ms',
      target: `< ${TARGET_MS} ms`,
      met: worstAll ? p95(worstAll.all) < TARGET_MS && allSkipped.length === 0 : false,
      why: worstAll ? `${describe(worstAll)}: ${boundOf(worstAll.source)}` : 'not measured',
    },
    {
      label: `panel × range combinations with p95 ≥ 100 ms, all users${at}`,
      value: allOver.length,
      target: '0',
      met: allOver.length === 0 && allSkipped.length === 0,
      why:
        (allOver.length
          ? `Over: ${allOver.map(describe).join('; ')}.`
          : `Of ${allMeasured.length} measured, none.`) +
        (allSkipped.length ? ` ${allSkipped.length} not measured (time budget for "All" spent).` : ''),
    },
    {
      label: `stored daily rows, full rebuild${at}`,
      value: round(d.data.rebuildSeconds, 1),
      unit: 's',
      why:
        `wearhouse_rebuild_daily_summary() over ${d.data.records} records (what sql/080 and sql/082 do on an ` +
        'existing database, and `wearhouse migrate` after a later migration): both _live views grouped once.',
    },
    {
      label: `page of 25 changed records, with ÷ without the records trigger${at}`,
      value: round(d.writePath.ratio, 2),
      why:
        `Median per page (own transaction) for ${d.writePath.user}: ${round(d.writePath.withTriggerMs, 1)} ms ` +
        `against ${round(d.writePath.withoutTriggerMs, 1)} ms over ${d.writePath.pages} pages. The trigger recomputes ` +
        'the page’s days (± 2) from the _live views, whose day filter is not indexable: they read the user’s ' +
        'records of the provider, so the cost grows with the user’s history, not with the page. With it, the ' +
        'stored typed rows of those days (sql/090, the typed views read again), the across-user sums (sql/093) ' +
        'and the hourly ingest counts (sql/091).',
    },
    {
      label: `budget panel p95, worst of one user / all users and both ranges${at}`,
      value: value(budgetWorst),
      unit: 'ms',
      target: `< ${TARGET_MS} ms`,
      met: budgetWorst < TARGET_MS,
      why: boundOf('provider_requests_hourly'),
    },
  ];
}
