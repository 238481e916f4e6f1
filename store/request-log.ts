// Provider requests counted per minute, endpoint and status with their latency. Aggregated in
// memory and flushed as additive upserts, so the table grows by one row per endpoint x status x
// minute at most, and rows older than the retention are pruned.
import type { Sql } from './db.ts';

export interface RequestEvent {
  provider: string;
  endpoint: string;
  status: number;
  latencyMs: number;
}

interface Bucket {
  minute: Date;
  provider: string;
  endpoint: string;
  status: number;
  requests: number;
  totalLatencyMs: number;
  maxLatencyMs: number;
}

export interface RequestLog {
  record(event: RequestEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createRequestLog(
  sql: Sql,
  options: { flushEveryMs?: number; retentionDays?: number; onError?: (error: unknown) => void } = {},
): RequestLog {
  let buckets = new Map<string, Bucket>();
  let lastPrune = 0;
  const retentionDays = options.retentionDays ?? 30;

  async function flush() {
    if (buckets.size === 0) return;
    const rows = [...buckets.values()];
    buckets = new Map();
    try {
      await sql`
        insert into provider_requests (minute, provider, endpoint, status, requests, total_latency_ms, max_latency_ms)
        select * from jsonb_to_recordset(${sql.json(rows.map(toRow) as never)}::jsonb) as x(
          minute timestamptz, provider text, endpoint text, status int, requests int, total_latency_ms bigint,
          max_latency_ms int)
        on conflict (minute, provider, endpoint, status) do update set
          requests = provider_requests.requests + excluded.requests,
          total_latency_ms = provider_requests.total_latency_ms + excluded.total_latency_ms,
          max_latency_ms = greatest(provider_requests.max_latency_ms, excluded.max_latency_ms)`;
      if (Date.now() - lastPrune > 3_600_000) {
        lastPrune = Date.now();
        await sql`delete from provider_requests where minute < now() - make_interval(days => ${retentionDays})`;
      }
    } catch (error) {
      options.onError?.(error);
    }
  }

  const timer = setInterval(() => void flush(), options.flushEveryMs ?? 5_000);
  timer.unref();

  return {
    record(event) {
      const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      const key = `${minute.getTime()}|${event.provider}|${event.endpoint}|${event.status}`;
      const bucket = buckets.get(key) ?? {
        minute,
        provider: event.provider,
        endpoint: event.endpoint,
        status: event.status,
        requests: 0,
        totalLatencyMs: 0,
        maxLatencyMs: 0,
      };
      bucket.requests++;
      bucket.totalLatencyMs += Math.round(event.latencyMs);
      bucket.maxLatencyMs = Math.max(bucket.maxLatencyMs, Math.round(event.latencyMs));
      buckets.set(key, bucket);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

function toRow(b: Bucket) {
  return {
    minute: b.minute.toISOString(),
    provider: b.provider,
    endpoint: b.endpoint,
    status: b.status,
    requests: b.requests,
    total_latency_ms: b.totalLatencyMs,
    max_latency_ms: b.maxLatencyMs,
  };
}
