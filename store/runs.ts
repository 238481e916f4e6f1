// The run ledger: one sync_runs row per activity attempt, opened when it starts and closed with its
// counts and, on failure, the error class and message.
import type { Queryable, Sql } from './db.ts';

/** What one window (or a whole run) fetched and stored: the counters of a sync_runs row. */
export interface RunCounts {
  pages: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  deleted: number;
  apiCalls: number;
  rateLimited: number;
  throttleWaitMs: number;
}

export interface RunIdentity {
  workflowId: string;
  runId: string;
  workflowType: string;
  activity: string;
  attempt: number;
  provider: string;
  userId: string;
  kind?: string;
  windowStart?: Date;
  windowEnd?: Date;
}

export async function openRun(sql: Sql, run: RunIdentity): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into sync_runs (workflow_id, run_id, workflow_type, activity, attempt, provider, user_id, kind,
                           window_start, window_end, status)
    values (${run.workflowId}, ${run.runId}, ${run.workflowType}, ${run.activity}, ${run.attempt}, ${run.provider},
            ${run.userId}, ${run.kind ?? null}, ${run.windowStart ?? null}, ${run.windowEnd ?? null}, 'running')
    returning id`;
  if (!row) throw new Error('sync_runs insert returned nothing');
  return row.id;
}

/** Counts so far, written with each stored page: a crashed attempt still shows what it stored. */
export async function updateRunCounts(sql: Queryable, id: number, c: RunCounts): Promise<void> {
  await sql`
    update sync_runs set pages = ${c.pages}, fetched = ${c.fetched}, inserted = ${c.inserted}, updated = ${c.updated},
      unchanged = ${c.unchanged}, quarantined = ${c.quarantined}, api_calls = ${c.apiCalls},
      rate_limited = ${c.rateLimited}, throttle_wait_ms = ${Math.round(c.throttleWaitMs)}
    where id = ${id}`;
}

export async function closeRun(
  sql: Sql,
  id: number,
  outcome: { status: 'completed' | 'failed'; counts: RunCounts; errorClass?: string; errorMessage?: string },
): Promise<void> {
  const c = outcome.counts;
  await sql`
    update sync_runs set status = ${outcome.status}, finished_at = clock_timestamp(),
      duration_ms = (extract(epoch from clock_timestamp() - started_at) * 1000)::int,
      pages = ${c.pages}, fetched = ${c.fetched}, inserted = ${c.inserted}, updated = ${c.updated},
      unchanged = ${c.unchanged}, quarantined = ${c.quarantined}, deleted = ${c.deleted}, api_calls = ${c.apiCalls},
      rate_limited = ${c.rateLimited}, throttle_wait_ms = ${Math.round(c.throttleWaitMs)},
      error_class = ${outcome.errorClass ?? null}, error_message = ${outcome.errorMessage?.slice(0, 2000) ?? null}
    where id = ${id}`;
}
