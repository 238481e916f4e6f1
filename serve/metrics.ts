// Prometheus metrics of `serve` (GET /metrics): requests by route and status, bytes in and out,
// latency, rejected webhooks, and the ingest lag (batches stored but not normalized yet), read from
// Postgres at scrape time so every serve replica reports the same truth.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Sql } from '../store/db.ts';
import { ingestLag } from '../store/ingest-batches.ts';

export type ServeMetrics = ReturnType<typeof createServeMetrics>;

export function createServeMetrics(sql: Sql) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wearhouse_serve_' });
  const labels = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'wearhouse_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: labels,
    registers: [registry],
  });
  const requestBytes = new Counter({
    name: 'wearhouse_http_request_bytes_total',
    help: 'Request body bytes received (Content-Length), by route',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const responseBytes = new Counter({
    name: 'wearhouse_http_response_bytes_total',
    help: 'Response body bytes sent, by route',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'wearhouse_http_request_duration_seconds',
    help: 'Time from request to response, by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const webhooksRejected = new Counter({
    name: 'wearhouse_webhooks_rejected_total',
    help: 'Webhook deliveries refused because their signature or timestamp did not verify',
    labelNames: ['provider'] as const,
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'wearhouse_webhook_events_total',
    help: 'Verified webhook deliveries, by provider and outcome (applied, stored, duplicate, unmatched, invalid)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const ingestBatches = new Counter({
    name: 'wearhouse_ingest_batches_total',
    help: 'Pushed batches acknowledged, by format and outcome (stored, duplicate)',
    labelNames: ['format', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'wearhouse_ingest_pending_batches',
    help: 'Stored push batches not normalized into records yet',
    registers: [registry],
    async collect() {
      this.set((await ingestLag(sql)).pending);
    },
  });
  new Gauge({
    name: 'wearhouse_ingest_lag_seconds',
    help: 'Age of the oldest stored push batch not normalized yet (0 when none waits)',
    registers: [registry],
    async collect() {
      this.set((await ingestLag(sql)).oldestSeconds);
    },
  });
  return {
    registry,
    observe(event: {
      method: string;
      route: string;
      status: number;
      seconds: number;
      bytesIn: number;
      bytesOut: number;
    }) {
      requests.inc({ method: event.method, route: event.route, status: String(event.status) });
      duration.observe({ route: event.route }, event.seconds);
      if (event.bytesIn > 0) requestBytes.inc({ route: event.route }, event.bytesIn);
      if (event.bytesOut > 0) responseBytes.inc({ route: event.route }, event.bytesOut);
    },
    webhookRejected: (provider: string) => webhooksRejected.inc({ provider }),
    webhookEvent: (provider: string, outcome: string) => webhookEvents.inc({ provider, outcome }),
    ingestBatch: (format: string, outcome: string) => ingestBatches.inc({ format, outcome }),
  };
}
