// The docs and the running system in step: every metric the README, docs/operating.md,
// docs/dashboards.md and the worker dashboard name is served on a worker's /metrics or declared by
// `wearhouse serve`'s (serve/metrics.ts), and the README's dashboard table lists exactly the
// dashboards in grafana/dashboards/.
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill, startSync } from '../cli/operations.ts';
import { createServeMetrics } from '../serve/metrics.ts';
import { installRuntime } from '../worker/runtime.ts';
import { freePort } from '../worker/stack/processes.ts';
import { type Sample, scrape } from './support/prometheus.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const root = new URL('../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');
/** Metric names in backticks, or in the dashboards' PromQL: wearhouse_… and temporal_… */
const METRIC = /\b((?:wearhouse|temporal)_[a-z_]+)\b/g;
/** Names that look like metrics but are not (the Grafana database role). */
const NOT_METRICS = new Set(['wearhouse_grafana']);

let stack: WhoopStack;
let metricsUrl: string;
let fresh: Sample[];
let afterWork: Sample[];
/** The metrics `wearhouse serve` declares on its own /metrics. */
let serveNames: Set<string>;

/** `name` as served: itself, or the series of a histogram of that name. */
const served = (samples: Sample[], name: string) => {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return samples.some((s) => [base, `${base}_bucket`, `${base}_sum`, `${base}_count`].includes(s.name));
};

async function documentedMetrics(): Promise<Map<string, string>> {
  const where = new Map<string, string>();
  for (const file of ['README.md', 'docs/operating.md', 'docs/dashboards.md']) {
    for (const [, name] of (await read(file)).matchAll(/`((?:wearhouse|temporal)_[a-z_]+)`/g)) {
      if (!NOT_METRICS.has(name as string)) where.set(name as string, file);
    }
  }
  for (const [, name] of (await read('grafana/dashboards/worker.json')).matchAll(METRIC)) {
    if (!NOT_METRICS.has(name as string)) where.set(name as string, 'grafana/dashboards/worker.json');
  }
  return where;
}

beforeAll(async () => {
  stack = await startWhoopStack({ worker: false });
  const serveMetrics = createServeMetrics(stack.db.sql);
  serveNames = new Set((await serveMetrics.registry.getMetricsAsJSON()).map((m) => m.name));
  // The Runtime is installed once per process: with metrics, before this file's worker starts.
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  installRuntime(stack.temporal.logger, { metricsBindAddress: `127.0.0.1:${port}` });
  await stack.temporal.startWorker();
  fresh = await scrape(metricsUrl);
  // Some work, a success and a failure, so the SDK's own series exist too.
  await stack.connectUser('olga');
  const backfill = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: 'olga',
    provider: 'whoop',
    from: iso(day(-20)),
    to: iso(day(-10)),
  });
  await backfill.result();
  stack.sandbox.control.revokeUser('olga');
  await stack.db.sql`update connections set access_expires_at = now() where user_id = 'olga'`;
  const sync = await startSync(stack.temporal.client, stack.temporal.config, {
    userId: 'olga',
    provider: 'whoop',
  });
  await expect(sync.result()).rejects.toThrow();
  afterWork = await scrape(metricsUrl);
});
afterAll(() => stack?.close());

describe('metrics in the docs', () => {
  it('the README names the project metrics, and a fresh worker serves each of them before any event', async () => {
    const readme = await read('README.md');
    const inReadme = [...readme.matchAll(/`(wearhouse_[a-z_]+)`/g)]
      .map(([, name]) => name as string)
      .filter((name) => !NOT_METRICS.has(name));
    expect(inReadme).toEqual(
      expect.arrayContaining(['wearhouse_token_refreshes_total', 'wearhouse_sync_failures_total']),
    );
    // Counters of events that may never happen are declared at 0; per-request series need a request.
    const declaredUpFront = inReadme.filter(
      (name) => !name.startsWith('wearhouse_provider_request') && !serveNames.has(name),
    );
    expect(declaredUpFront.filter((name) => !served(fresh, name))).toEqual([]);
    // What serve reports, serve declares.
    expect(inReadme.filter((name) => name.includes('webhook') && !serveNames.has(name))).toEqual([]);
  });

  it('every metric named in the README, docs and the worker dashboard is served', async () => {
    const documented = await documentedMetrics();
    expect(documented.size).toBeGreaterThan(10);
    const missing = [...documented].filter(([name]) => !served(afterWork, name) && !serveNames.has(name));
    expect(missing.map(([name, file]) => `${name} (${file})`)).toEqual([]);
  });
});

describe('dashboards in the README', () => {
  it('the table lists every dashboard in grafana/dashboards/ by title, and no other', async () => {
    const files = (await readdir(new URL('grafana/dashboards/', root))).filter((f) => f.endsWith('.json'));
    const titles = await Promise.all(
      files.map(async (f) => (JSON.parse(await read(`grafana/dashboards/${f}`)) as { title: string }).title),
    );
    const readme = await read('README.md');
    const section = readme.slice(
      readme.indexOf('## Dashboards'),
      readme.indexOf('\n## ', readme.indexOf('## Dashboards') + 1),
    );
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| dashboard') && !line.startsWith('| ---'))
      .map((line) => line.split('|')[1]?.trim());
    expect(rows.sort()).toEqual(titles.sort());
  });
});
