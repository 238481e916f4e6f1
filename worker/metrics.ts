// The project's own Prometheus metrics, created on the Temporal Runtime's metric meter so that one
// /metrics endpoint serves them next to the SDK's worker metrics (no second HTTP server, no
// prom-client). Labels are bounded sets: provider, kind, endpoint (a path template), status,
// outcome, error class. Never a user id: one series per user would not scale, and per-user questions
// are what the run ledger (sync_runs) and `wearhouse status` answer.
import type { MetricMeter } from '@temporalio/common';
import { FAILURE_TYPES } from '../activities/failures.ts';
import type { ActivityMetrics } from '../activities/metrics.ts';
import type { RefreshOutcome } from '../activities/tokens.ts';
import { providerCatalog } from '../providers/catalog.ts';

/** Names as exported (counters gain `_total`: the Runtime is installed with countersTotalSuffix). */
export const METRICS = {
  recordsStored: 'wearhouse_records_stored',
  providerRequests: 'wearhouse_provider_requests',
  requestLatency: 'wearhouse_provider_request_latency',
  throttleWait: 'wearhouse_throttle_wait',
  tokenRefreshes: 'wearhouse_token_refreshes',
  syncFailures: 'wearhouse_sync_failures',
} as const;

/**
 * Bucket bounds (ms) for the project's histograms. Core's defaults (50 … 10,000) are too coarse for
 * a provider API that answers in tens of milliseconds and times out at 30 s.
 */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRICS.requestLatency]: [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000],
};

const REFRESH_OUTCOMES: readonly RefreshOutcome[] = ['refreshed', 'reused', 'rejected', 'failed'];

/** The outcomes of a stored record, each a RunCounts field of the same name. */
const OUTCOMES = ['inserted', 'updated', 'unchanged', 'quarantined', 'deleted'] as const;

export interface RequestMetricEvent {
  provider: string;
  endpoint: string;
  /** 0 when no response arrived (timeout, reset). */
  status: number;
  latencyMs: number;
}

export interface WorkerMetrics extends ActivityMetrics {
  request(event: RequestMetricEvent): void;
}

export function createWorkerMetrics(meter: MetricMeter): WorkerMetrics {
  const stored = meter.createCounter(
    METRICS.recordsStored,
    'records',
    'Records written by sync activities, by outcome: inserted, updated, unchanged, quarantined (failed validation), deleted (soft-deleted because the provider no longer serves them).',
  );
  const requests = meter.createCounter(
    METRICS.providerRequests,
    'requests',
    'Provider HTTP requests by endpoint and status (0 = no response: timeout or network error).',
  );
  const latency = meter.createHistogram(
    METRICS.requestLatency,
    'int',
    'ms',
    'Provider HTTP request latency in milliseconds, from sending to the body read.',
  );
  const throttleWait = meter.createCounter(
    METRICS.throttleWait,
    'ms',
    "Milliseconds sync activities waited for a slot in the provider app's shared request budget. rate()/1000 = activities waiting on average.",
  );
  const refreshes = meter.createCounter(
    METRICS.tokenRefreshes,
    'refreshes',
    'Access-token refresh needs by outcome: refreshed, reused (another caller or worker had just refreshed), rejected (grant revoked: reauth required), lost_rotation (rejected after an unanswered refresh: the rotation was lost in transit; reauth required), failed (transient).',
  );
  const failures = meter.createCounter(
    METRICS.syncFailures,
    'attempts',
    'Failed sync activity attempts by error class (RateLimited, ProviderUnavailable, ReauthRequired, …).',
  );

  // Every documented series exists from the start, at 0, even before its first event (a worker that
  // never refreshed a token still exports wearhouse_token_refreshes_total): /metrics matches the docs,
  // and increase() sees the first increment.
  for (const [provider, facts] of Object.entries(providerCatalog)) {
    throttleWait.add(0, { provider });
    for (const outcome of REFRESH_OUTCOMES) refreshes.add(0, { provider, outcome });
    for (const kind of facts.kinds) {
      for (const outcome of OUTCOMES) stored.add(0, { provider, kind, outcome });
      for (const errorClass of Object.values(FAILURE_TYPES)) {
        failures.add(0, { provider, kind, error_class: errorClass });
      }
    }
  }

  return {
    counts({ provider, kind, counts }) {
      // Zeros too: a series that exists from the first page lets increase() see its first increment.
      for (const outcome of OUTCOMES) {
        stored.add(counts[outcome] ?? 0, { provider, kind, outcome });
      }
      const waited = Math.round(counts.throttleWaitMs ?? 0);
      if (waited > 0) throttleWait.add(waited, { provider });
    },
    failed({ provider, kind, errorClass }) {
      failures.add(1, { provider, kind, error_class: errorClass });
    },
    tokenRefresh({ provider, outcome }) {
      refreshes.add(1, { provider, outcome });
    },
    request({ provider, endpoint, status, latencyMs }) {
      const tags = { provider, endpoint, status: String(status) };
      requests.add(1, tags);
      latency.record(Math.max(0, Math.round(latencyMs)), tags);
    },
  };
}
