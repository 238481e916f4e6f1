// normalizeIngestBatch: a stored push batch (store/ingest-batches.ts) → records, in one transaction
// that also marks the batch normalized. Idempotent (content-keyed upserts), so a retry, a sweeper
// re-queue or `wearhouse ingest replay` after a normalizer fix never duplicates a point.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { pushFormat } from '../providers/push-formats.ts';
import type { MappedRecord } from '../providers/types.ts';
import type { Sql } from '../store/db.ts';
import { getBatch, markNormalized, markNormalizeFailed } from '../store/ingest-batches.ts';
import { type UpsertCounts, upsertRecords } from '../store/records.ts';
import { messageOf, toApplicationFailure } from './failures.ts';
import type { ActivityLogger } from './types.ts';

/** Rows per upsert statement: a 50 MB batch holds hundreds of thousands of points. */
const CHUNK = 2000;

export interface NormalizeResult extends UpsertCounts {
  batchId: string;
  records: number;
}

export function createIngestActivities(deps: { sql: Sql; logger: ActivityLogger }) {
  async function normalizeIngestBatch(input: { batchId: string }): Promise<NormalizeResult> {
    const context = Context.current();
    const attempt = context.info.attempt;
    context.heartbeat();
    const batch = await getBatch(deps.sql, input.batchId).catch((error: unknown) => {
      throw toApplicationFailure(error, attempt);
    });
    if (!batch) {
      throw ApplicationFailure.create({
        type: 'InvalidInput',
        message: `no ingest batch ${input.batchId}`,
        nonRetryable: true,
      });
    }
    let records: MappedRecord[];
    let provider: string;
    try {
      const format = pushFormat(batch.format);
      if (!format) throw new Error(`unknown push format "${batch.format}"`);
      provider = format.provider;
      records = format.map(format.schema.parse(JSON.parse(batch.payload.toString('utf8'))));
    } catch (error) {
      // The batch was valid when it arrived, so this is a normalizer bug (or a schema tightened
      // since): keep the reason on the batch; `wearhouse ingest replay` runs it again once fixed.
      await markNormalizeFailed(deps.sql, batch.id, messageOf(error)).catch(() => {});
      throw ApplicationFailure.create({
        type: 'NormalizeFailed',
        message: `batch ${batch.id}: ${messageOf(error)}`,
        nonRetryable: true,
      });
    }
    try {
      const counts = await deps.sql.begin(async (tx) => {
        const total: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
        for (let i = 0; i < records.length; i += CHUNK) {
          const part = await upsertRecords(tx, provider, batch.user_id, records.slice(i, i + CHUNK));
          context.heartbeat();
          total.inserted += part.inserted;
          total.updated += part.updated;
          total.unchanged += part.unchanged;
        }
        await markNormalized(tx, batch.id, records.length);
        return total;
      });
      deps.logger.info(
        { batchId: batch.id, userId: batch.user_id, provider, records: records.length, ...counts },
        'ingest batch normalized',
      );
      return { batchId: batch.id, records: records.length, ...counts };
    } catch (error) {
      throw toApplicationFailure(error, attempt);
    }
  }
  return { normalizeIngestBatch };
}
