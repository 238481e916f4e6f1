// `readFetch`: the days a read-API request found missing (docs/read-api.md), fetched by the backfill
// machinery — covered windows are skipped, the rest fetched window by window and recorded in the
// coverage ledger — with the purpose `read`, so its windows can be told from backfills' (budget lanes).
// One per user and provider (workflow id `read-fetch:<provider>:<user>`): `serve` starts it with
// signal-with-start `addRange`, so concurrent requests for the same days join one fetch, and with
// Temporal priority key 1, ahead of backfills. When it fails (a non-retryable failure: the provider
// refused the request), it first records why in read_fetch_failures, so /daily answers those days
// `failed` with the reason instead of `pending`; a later read starts a new run.
import { ContinueAsNew, isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { type BackfillCarry, type BackfillResult, type BackfillWorkflowInput, backfill } from './backfill.ts';
import { type ErrorLike, isErrorLike } from './error-fields.ts';
import { retry } from './shared.ts';

export const readFetchWorkflowId = (provider: string, userId: string) => `read-fetch:${provider}:${userId}`;

/** Temporal priority of read fetches: lower runs first; backfills take the default (3) or higher. */
export const READ_FETCH_PRIORITY_KEY = 1;

const { recordReadFetchFailure } = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry });

export async function readFetch(
  input: BackfillWorkflowInput,
  carry?: BackfillCarry,
): Promise<BackfillResult> {
  try {
    return await backfill({ ...input, purpose: 'read' }, carry);
  } catch (error) {
    if (!(error instanceof ContinueAsNew) && !isCancellation(error) && isErrorLike(error)) {
      const cause = innermost(error);
      // serve always starts it with a valid user and provider; anything else has no days to mark.
      if (isName(input.userId) && isName(input.provider)) {
        await recordReadFetchFailure({
          userId: input.userId,
          provider: input.provider,
          errorType: typeof cause.type === 'string' ? cause.type : 'InternalError',
          // A classified failure's message is written for users (activities/failures.ts); anything
          // else may be internal error text, which API clients must not see.
          reason:
            typeof cause.type === 'string'
              ? cause.message
              : 'the fetch failed; the worker log has the details',
          workflowId: workflowInfo().workflowId,
        });
      }
    }
    throw error;
  }
}

/** The failure that started it: an activity failure's cause is the activity's own error. */
function innermost(error: ErrorLike): ErrorLike {
  let current = error;
  for (let depth = 0; depth < 5 && isErrorLike(current.cause); depth++) current = current.cause;
  return current;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128;
}
