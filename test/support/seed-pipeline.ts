// The pipeline tables as a year of syncing two users leaves them: backfill and incremental runs
// (some failed, one still running), coverage spans with a deliberate gap, watermarks, per-minute
// request counters with 429s, and a quarantined record. Used by seedRecords (seed-records.ts).
import type { Sql } from '../../store/db.ts';

const KINDS = ['cycle', 'sleep', 'recovery', 'workout'];
const ENDPOINTS: Record<string, string> = {
  cycle: '/v2/cycle',
  sleep: '/v2/activity/sleep',
  recovery: '/v2/recovery',
  workout: '/v2/activity/workout',
};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Runs, coverage, watermarks, request counters and quarantine as a year of syncing leaves them. */
export async function seedPipeline(
  sql: Sql,
  user: { id: string },
  index: number,
  from: Date,
  to: Date,
  rand: () => number,
) {
  const runs: Record<string, unknown>[] = [];
  const coverage: Record<string, unknown>[] = [];
  const requests = new Map<string, Record<string, unknown>>();
  const backfillAt = from.getTime() + 2 * DAY;
  const count = (minute: number, endpoint: string, status: number, n: number) => {
    const key = `${minute}|${endpoint}|${status}`;
    const row = requests.get(key) ?? {
      minute: new Date(minute).toISOString(),
      endpoint,
      status,
      requests: 0,
      total_latency_ms: 0,
      max_latency_ms: 0,
    };
    row.requests = (row.requests as number) + n;
    row.total_latency_ms = (row.total_latency_ms as number) + n * Math.round(120 + rand() * 200);
    row.max_latency_ms = Math.max(row.max_latency_ms as number, Math.round(300 + rand() * 900));
    requests.set(key, row);
  };
  for (const kind of KINDS) {
    const workflowId = `backfill:whoop:${user.id}`;
    // The backfill: 30-day windows, each a run and a coverage span. Bob's workouts keep a hole.
    for (let w = from.getTime(); w < to.getTime(); w += 30 * DAY) {
      const wEnd = Math.min(w + 30 * DAY, to.getTime());
      const started = backfillAt + (w - from.getTime()) / 200 + KINDS.indexOf(kind) * 60_000 + index * 7_000;
      const failedFirst = rand() < 0.2;
      if (failedFirst) {
        runs.push(
          run(workflowId, 'backfill', kind, user.id, w, wEnd, started, 'failed', 1, rand, 'rate_limited'),
        );
      }
      runs.push(
        run(
          workflowId,
          'backfill',
          kind,
          user.id,
          w,
          wEnd,
          started + 90_000,
          'completed',
          failedFirst ? 2 : 1,
          rand,
        ),
      );
      const gap = index === 1 && kind === 'workout' && w === from.getTime() + 120 * DAY;
      if (!gap)
        coverage.push({
          kind,
          lower: new Date(w).toISOString(),
          upper: new Date(wEnd).toISOString(),
          final: wEnd < to.getTime() - 30 * DAY,
          workflow_id: workflowId,
        });
      for (let m = 0; m < 3; m++) {
        const minute = Math.floor((started + m * 60_000) / 60_000) * 60_000;
        count(minute, ENDPOINTS[kind] as string, 200, Math.round(20 + rand() * 8));
        if (failedFirst && m === 0) count(minute, ENDPOINTS[kind] as string, 429, 1 + Math.round(rand() * 3));
      }
    }
    // Incremental syncs every 6 hours for the last 30 days, the latest 20 minutes ago; bob's latest
    // one did not happen, so his connection is stale (more than 2 hours without a success).
    for (let t = to.getTime() - 20 * 60_000; t > to.getTime() - 30 * DAY; t -= 6 * HOUR) {
      if (index === 1 && t > to.getTime() - 3 * HOUR) continue;
      const fail = rand() < 0.05;
      const cls = rand() < 0.5 ? 'transient' : 'client_error';
      runs.push(
        run(
          `sync:whoop:${user.id}`,
          'incrementalSync',
          kind,
          user.id,
          t - 3 * DAY,
          t,
          t,
          fail ? 'failed' : 'completed',
          1,
          rand,
          fail ? cls : undefined,
        ),
      );
      count(
        Math.floor(t / 60_000) * 60_000,
        ENDPOINTS[kind] as string,
        fail && cls === 'transient' ? 503 : 200,
        1 + Math.round(rand() * 2),
      );
    }
    await sql`insert into sync_watermarks (provider, user_id, kind, watermark, updated_at)
              values ('whoop', ${user.id}, ${kind}, ${new Date(to.getTime() - (index + 1) * HOUR)}, ${to})
              on conflict do nothing`;
  }
  // A backfill of a past window still running (bob): the "running backfills" panel lists it.
  if (index === 1)
    runs.push(
      run(
        `backfill:whoop:${user.id}`,
        'backfill',
        'sleep',
        user.id,
        from.getTime(),
        from.getTime() + 30 * DAY,
        to.getTime() - 20 * 60_000,
        'running',
        1,
        rand,
      ),
    );
  await sql`
    insert into sync_runs (workflow_id, run_id, workflow_type, activity, attempt, provider, user_id, kind,
      window_start, window_end, status, started_at, finished_at, duration_ms, pages, fetched, inserted, updated,
      unchanged, quarantined, api_calls, rate_limited, throttle_wait_ms, error_class, error_message)
    select workflow_id, run_id, workflow_type, 'syncWindow', attempt, 'whoop', user_id, kind, window_start,
      window_end, status, started_at, finished_at, duration_ms, pages, fetched, inserted, updated, unchanged,
      quarantined, api_calls, rate_limited, throttle_wait_ms, error_class, error_message
    from jsonb_to_recordset(${sql.json(runs as never)}::jsonb) as x(workflow_id text, run_id text,
      workflow_type text, attempt int, user_id text, kind text, window_start timestamptz, window_end timestamptz,
      status text, started_at timestamptz, finished_at timestamptz, duration_ms int, pages int, fetched int,
      inserted int, updated int, unchanged int, quarantined int, api_calls int, rate_limited int,
      throttle_wait_ms int, error_class text, error_message text)`;
  await sql`
    insert into coverage (provider, user_id, kind, span, final, records, workflow_id)
    select 'whoop', ${user.id}, kind, tstzrange(lower, upper, '[)'), final, 30, workflow_id
    from jsonb_to_recordset(${sql.json(coverage as never)}::jsonb)
      as x(kind text, lower timestamptz, upper timestamptz, final boolean, workflow_id text)`;
  // provider_requests is per app (no user column): both users' traffic adds up in the same minutes.
  await sql`
    insert into provider_requests (minute, provider, endpoint, status, requests, total_latency_ms, max_latency_ms)
    select minute, 'whoop', endpoint, status, requests, total_latency_ms, max_latency_ms
    from jsonb_to_recordset(${sql.json([...requests.values()] as never)}::jsonb) as x(minute timestamptz,
      endpoint text, status int, requests int, total_latency_ms bigint, max_latency_ms int)
    on conflict (minute, provider, endpoint, status) do update set
      requests = provider_requests.requests + excluded.requests`;
  await sql`
    insert into quarantine (fingerprint, provider, user_id, kind, source_id, reason, payload, workflow_id, created_at)
    values (${`seed-${user.id}-1`}, 'whoop', ${user.id}, 'sleep', ${`seed-bad-${index}`},
            'score.stage_summary.total_in_bed_time_milli: Invalid input: expected number, received string',
            ${sql.json({ id: 'broken' })}, ${`sync:whoop:${user.id}`}, ${new Date(to.getTime() - 5 * DAY)})`;
}

function run(
  workflowId: string,
  workflowType: string,
  kind: string,
  userId: string,
  windowStart: number,
  windowEnd: number,
  startedAt: number,
  status: 'completed' | 'failed' | 'running',
  attempt: number,
  rand: () => number,
  errorClass?: string,
): Record<string, unknown> {
  const durationMs = Math.round(2_000 + rand() * 40_000);
  const fetched = status === 'completed' ? Math.round(rand() * 40) : 0;
  const inserted = Math.round(fetched * rand());
  const updated = Math.round((fetched - inserted) * rand());
  return {
    workflow_id: workflowId,
    run_id: `run-${Math.floor(rand() * 1e9).toString(36)}`,
    workflow_type: workflowType,
    attempt,
    user_id: userId,
    kind,
    window_start: new Date(windowStart).toISOString(),
    window_end: new Date(windowEnd).toISOString(),
    status,
    started_at: new Date(startedAt).toISOString(),
    finished_at: status === 'running' ? null : new Date(startedAt + durationMs).toISOString(),
    duration_ms: status === 'running' ? null : durationMs,
    pages: Math.ceil(fetched / 25),
    fetched,
    inserted,
    updated,
    unchanged: fetched - inserted - updated,
    quarantined: rand() < 0.03 ? 1 : 0,
    api_calls: Math.ceil(fetched / 25) + (errorClass === 'rate_limited' ? 2 : 0),
    rate_limited: errorClass === 'rate_limited' ? 1 + Math.round(rand() * 2) : 0,
    throttle_wait_ms: Math.round(rand() * 3000),
    error_class: errorClass ?? null,
    error_message: errorClass ? `whoop GET ${ENDPOINTS[kind]}: ${ERROR_MESSAGES[errorClass]}` : null,
  };
}

const ERROR_MESSAGES: Record<string, string> = {
  rate_limited: '429 Too Many Requests (retry after 41s)',
  transient: '503 Service Unavailable',
  client_error: '400 Bad Request',
};
