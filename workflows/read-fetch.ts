// `readFetch`: the days a read-API request found missing (docs/read-api.md), fetched by the backfill
// machinery — covered windows are skipped, the rest fetched window by window and recorded in the
// coverage ledger — with the purpose `read`, so its windows can be told from backfills' (budget lanes).
// One per user and provider (workflow id `read-fetch:<provider>:<user>`): `serve` starts it with
// signal-with-start `addRange`, so concurrent requests for the same days join one fetch, and with
// Temporal priority key 1, ahead of backfills.
import { type BackfillCarry, type BackfillResult, type BackfillWorkflowInput, backfill } from './backfill.ts';

export const readFetchWorkflowId = (provider: string, userId: string) => `read-fetch:${provider}:${userId}`;

/** Temporal priority of read fetches: lower runs first; backfills take the default (3) or higher. */
export const READ_FETCH_PRIORITY_KEY = 1;

export function readFetch(input: BackfillWorkflowInput, carry?: BackfillCarry): Promise<BackfillResult> {
  return backfill({ ...input, purpose: 'read' }, carry);
}
