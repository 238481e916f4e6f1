// The worker's Prometheus endpoint: a backfill against the sandbox (an expired access token, 429s,
// 5xx and malformed records injected) moves the project's counters by exactly what the run ledger,
// Postgres and the sandbox's own counters say, on the same /metrics as Temporal's worker metrics.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startBackfill, startSync } from '../cli/operations.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { WHOOP_KINDS } from '../providers/whoop/sandbox/index.ts';
import { installRuntime } from '../worker/runtime.ts';
import { freePort } from '../worker/stack/processes.ts';
import { type Sample, scrape, total } from './support/prometheus.ts';
import { dataRequests, day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { waitUntil } from './support/worker-process.ts';

const USER = 'mia';

let stack: WhoopStack;
let metricsUrl: string;
let before: Sample[];
let during: Sample[] = [];
let after: Sample[];
let rescored: number;
let deletedAtProvider: number;

beforeAll(async () => {
  // A budget tight enough that windows queue for it, so throttle waits are real.
  stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: 900 } });
  // The Runtime is installed once per process: with metrics, before any worker of this file starts.
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  installRuntime(stack.temporal.logger, { metricsBindAddress: `127.0.0.1:${port}` });
  await stack.temporal.startWorker();
  before = await scrape(metricsUrl);

  const tokens = stack.sandbox.control.issueTokens(USER);
  // The first page of each window gets a 401: one refresh, the other windows reuse its pair.
  stack.sandbox.control.expireAccessToken(tokens.accessToken);
  await stack.connectUserWith(USER, { ...tokens, expiresIn: 3600 });
  stack.sandbox.control.resetStats();
  stack.sandbox.control.setFaults({
    serverErrorRate: 0.05,
    rateLimitStormRate: 0.05,
    malformedRecordRate: 0.03,
  });
  const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: USER,
    provider: 'whoop',
    from: iso(day(-180)),
    to: iso(day(0)),
  });
  const result = handle.result();
  // Scraped while the backfill runs: the counters are live, not written at the end.
  await waitUntil('records counted while the backfill runs', async () => {
    during = await scrape(metricsUrl);
    return total(during, 'wearhouse_records_stored_total', { outcome: 'inserted' }) > 0;
  });
  await result;
  stack.sandbox.control.setFaults({});
  // Then what an incremental sync sees: rescored records (updated) and deleted ones.
  rescored = stack.sandbox.control.rescore(USER).rescored;
  deletedAtProvider = stack.sandbox.control.deleteRecords(USER, 'sleep', 3, 5).length;
  await (
    await startSync(stack.temporal.client, stack.temporal.config, { userId: USER, provider: 'whoop' })
  ).result();
  // And one workflow that fails (no such connection), so the failure series exist too.
  const failing = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: 'nobody',
    provider: 'whoop',
    from: iso(day(-30)),
    to: iso(day(-20)),
  });
  await expect(failing.result()).rejects.toThrow();
  after = await scrape(metricsUrl);
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

interface LedgerRow {
  kind: string;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  deleted: number;
  throttle_wait_ms: number;
  attempts: number;
}

const ledger = () => stack.db.sql<LedgerRow[]>`
  select kind, sum(inserted)::int as inserted, sum(updated)::int as updated, sum(unchanged)::int as unchanged,
    sum(quarantined)::int as quarantined, sum(deleted)::int as deleted,
    sum(throttle_wait_ms)::int as throttle_wait_ms, count(*)::int as attempts
  from sync_runs where user_id = ${USER} group by kind order by kind`;

const OUTCOMES = ['inserted', 'updated', 'unchanged', 'quarantined', 'deleted'] as const;
const RECORDS = 'wearhouse_records_stored_total';
const REQUESTS = 'wearhouse_provider_requests_total';

describe("the worker's /metrics after a backfill with faults", () => {
  it('had none of our counts before any work, and counted while the backfill ran', () => {
    expect(total(before, RECORDS)).toBe(0);
    expect(total(before, REQUESTS)).toBe(0);
    const midway = total(during, RECORDS, { outcome: 'inserted' });
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(total(after, RECORDS, { outcome: 'inserted' }));
  });

  it('counts every stored record by kind and outcome exactly as the run ledger does', async () => {
    const rows = await ledger();
    expect(rows.map((r) => r.kind).sort()).toEqual([...WHOOP_KINDS].sort());
    // Every outcome happened, so each comparison below compares something.
    expect(rescored).toBeGreaterThan(0);
    expect(deletedAtProvider).toBe(3);
    for (const outcome of OUTCOMES) {
      expect(
        rows.reduce((sum, r) => sum + r[outcome], 0),
        outcome,
      ).toBeGreaterThan(0);
    }
    for (const row of rows) {
      for (const outcome of OUTCOMES) {
        expect(
          total(after, RECORDS, { provider: 'whoop', kind: row.kind, outcome }),
          `${row.kind} ${outcome}`,
        ).toBe(row[outcome]);
      }
    }
    // And as Postgres holds them: one insert per stored record, one quarantine sighting per count.
    const [held] = await stack.db.sql<{ records: number; sightings: number }[]>`
      select (select count(*)::int from records where user_id = ${USER}) as records,
             (select coalesce(sum(seen_count), 0)::int from quarantine where user_id = ${USER}) as sightings`;
    expect(total(after, RECORDS, { outcome: 'inserted' })).toBe(held?.records);
    expect(total(after, RECORDS, { outcome: 'quarantined' })).toBe(held?.sightings);
    expect(held?.sightings).toBeGreaterThan(0);
  });

  it('counts provider requests by status as the sandbox answered them, each with a latency', () => {
    const stats = stack.sandbox.control.stats();
    const data = after.filter((s) => s.name === REQUESTS && s.labels.endpoint !== 'oauth/token');
    expect(data.reduce((sum, s) => sum + s.value, 0)).toBe(dataRequests(stack.sandbox));
    expect(total(after, REQUESTS, { status: '429' })).toBe(stats.injected429 + stats.budget429);
    expect(stats.injected429).toBeGreaterThan(0);
    const serverErrors = ['500', '502', '503'].reduce(
      (sum, status) => sum + total(after, REQUESTS, { status }),
      0,
    );
    expect(serverErrors).toBe(stats.injected5xx);
    expect(stats.injected5xx).toBeGreaterThan(0);
    expect(total(after, REQUESTS, { status: '401' })).toBe(stats.unauthorized);
    expect(total(after, REQUESTS, { endpoint: 'oauth/token', status: '200' })).toBe(stats.refreshes);
    // One latency observation per request, under the same labels.
    for (const sample of after.filter((s) => s.name === REQUESTS)) {
      expect(total(after, 'wearhouse_provider_request_latency_count', sample.labels)).toBe(sample.value);
      expect(
        total(after, 'wearhouse_provider_request_latency_bucket', { ...sample.labels, le: '+Inf' }),
      ).toBe(sample.value);
    }
    expect(total(after, 'wearhouse_provider_request_latency_sum')).toBeGreaterThan(0);
  });

  it('counts the throttle wait the ledger recorded', async () => {
    const waited = (await ledger()).reduce((sum, r) => sum + r.throttle_wait_ms, 0);
    expect(waited).toBeGreaterThan(0);
    expect(total(after, 'wearhouse_throttle_wait_total', { provider: 'whoop' })).toBe(waited);
  });

  it('counts one refresh for the expired token, and every other 401 reusing its pair', () => {
    const stats = stack.sandbox.control.stats();
    const refreshed = total(after, 'wearhouse_token_refreshes_total', { outcome: 'refreshed' });
    const reused = total(after, 'wearhouse_token_refreshes_total', { outcome: 'reused' });
    expect(stats.refreshes).toBe(1);
    expect(refreshed).toBe(stats.refreshes);
    expect(refreshed + reused).toBe(stats.unauthorized);
    expect(total(after, 'wearhouse_token_refreshes_total', { outcome: 'rejected' })).toBe(0);
  });

  it("counts failed attempts by class as the ledger and Temporal's own metrics do", async () => {
    const failed = await stack.db.sql<{ error_class: string; n: number }[]>`
      select error_class, count(*)::int as n from sync_runs
      where user_id = ${USER} and status = 'failed' group by 1`;
    expect(failed.map((f) => f.error_class).sort()).toEqual(['ProviderUnavailable', 'RateLimited']);
    for (const { error_class, n } of failed) {
      expect(total(after, 'wearhouse_sync_failures_total', { error_class }), error_class).toBe(n);
    }
    const attempts = (await ledger()).reduce((sum, r) => sum + r.attempts, 0);
    const failures = failed.reduce((sum, f) => sum + f.n, 0);
    const syncWindow = { activity_type: 'syncWindow' };
    expect(total(after, 'temporal_activity_execution_failed_total', syncWindow)).toBe(failures);
    expect(total(after, 'temporal_activity_execution_latency_count', syncWindow)).toBe(attempts);
  });
});

describe('what the Worker dashboard and the worker alerts query', () => {
  /** Metric names in PromQL (`up` is Prometheus' own, about the scrape). */
  const metricNames = (exprs: string[]) =>
    new Set(
      exprs.flatMap((expr) => [...expr.matchAll(/\b(?:temporal|wearhouse)_[a-z_]+\b/g)].map((m) => m[0])),
    );

  it("exists on a real worker's /metrics, every name of it", async () => {
    const dashboard = JSON.parse(renderDashboards().get('worker.json') as string);
    const exprs = (dashboard.panels as { targets?: { expr?: string }[] }[]).flatMap((p) =>
      (p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])),
    );
    const alerting = parse(
      await readFile(new URL('../grafana/provisioning/alerting/wearhouse.yml', import.meta.url), 'utf8'),
    );
    for (const group of alerting.groups) {
      for (const rule of group.rules) {
        for (const query of rule.data) if (query.model.expr) exprs.push(query.model.expr);
      }
    }
    const names = metricNames(exprs);
    expect(names.size).toBeGreaterThan(10);
    const exported = new Set(after.map((s) => s.name));
    expect([...names].filter((name) => !exported.has(name))).toEqual([]);
  });
});
