// The last failure of a user's read-API fetch per provider (read_fetch_failures, sql/101;
// docs/read-api.md, "A failed fetch"): written by the readFetch workflow before it fails, read by
// /daily to answer those days `failed` instead of `pending`.
import type { Queryable } from './db.ts';

/** Longest reason kept: a provider's answer described, not its body. */
const MAX_REASON_CHARS = 500;

export interface ReadFetchFailure {
  userId: string;
  provider: string;
  /** The failure's type (activities/failures.ts), e.g. ProviderClientError. */
  errorType: string;
  reason: string;
  workflowId: string;
}

export async function recordReadFetchFailure(sql: Queryable, failure: ReadFetchFailure): Promise<void> {
  const reason = failure.reason.slice(0, MAX_REASON_CHARS);
  await sql`
    insert into read_fetch_failures (user_id, provider, failed_at, error_type, reason, workflow_id)
    values (${failure.userId}, ${failure.provider}, now(), ${failure.errorType}, ${reason}, ${failure.workflowId})
    on conflict (user_id, provider) do update
      set failed_at = now(), error_type = excluded.error_type, reason = excluded.reason,
          workflow_id = excluded.workflow_id`;
}
