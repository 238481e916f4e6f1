// `normalizeIngestBatch`: one stored push batch → records. Started by `serve` after the batch is
// committed (workflow id `normalize-ingest:<batchId>`), re-queued by serve's sweeper if that start
// was lost, and by `wearhouse ingest replay` after a normalizer fix.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { NormalizeResult } from '../activities/ingest.ts';
import { retry } from './shared.ts';

const { normalizeIngestBatch: normalize } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  // A task lost between Temporal and a worker (or a worker gone) is retried after a minute, not ten.
  heartbeatTimeout: '1m',
  retry: { ...retry, nonRetryableErrorTypes: [...(retry.nonRetryableErrorTypes ?? []), 'NormalizeFailed'] },
});

export const normalizeWorkflowId = (batchId: string) => `normalize-ingest:${batchId}`;

export async function normalizeIngestBatch(input: { batchId: string }): Promise<NormalizeResult> {
  return normalize({ batchId: String(input.batchId) });
}
