// What activities report for metrics (worker/metrics.ts implements it on Temporal's meter).
import type { RunCounts } from './counts.ts';
import type { RefreshOutcome } from './tokens.ts';

export interface ActivityMetrics {
  /** Every batch of counts the run ledger gets: each stored page, a window's close, a failed attempt. */
  counts(event: { provider: string; kind: string; counts: Partial<RunCounts> }): void;
  /** A sync attempt failed with this class (the Temporal failure type). */
  failed(event: { provider: string; kind: string; errorClass: string }): void;
  tokenRefresh(event: { provider: string; outcome: RefreshOutcome }): void;
}
