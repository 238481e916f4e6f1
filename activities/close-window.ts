// A window fully fetched: in one transaction, soft-delete what vanished from its span, record its
// coverage (backfills and read-API fetches) and advance the watermark.
import { descriptorOf } from '../providers/catalog.ts';
import { windowDays } from '../providers/day-range.ts';
import { advanceWatermark, recordCoverage } from '../store/coverage.ts';
import type { Sql } from '../store/db.ts';
import { softDeleteUnseen } from '../store/records.ts';
import type { SyncWindowInput } from './types.ts';

/** Returns how many records were soft-deleted. */
export function closeWindow(
  sql: Sql,
  input: SyncWindowInput,
  span: { start: Date; end: Date },
  seen: ReadonlySet<string>,
  workflowId: string,
): Promise<number> {
  return sql.begin(async (tx) => {
    const key = { provider: input.provider, userId: input.userId, kind: input.window.kind };
    // Providers that filter a kind by day answered for the days the window touches: look there.
    const byDay = descriptorOf(input.provider)?.dayFilteredKinds?.includes(input.window.kind);
    const days = byDay ? windowDays(span.start, span.end) : undefined;
    const deleted = await softDeleteUnseen(tx, { ...key, ...span, days }, [...seen]);
    if (input.purpose !== 'incremental') {
      await recordCoverage(tx, key, span, { final: input.window.final, records: seen.size, workflowId });
    }
    await advanceWatermark(tx, key, new Date(Math.min(span.end.getTime(), Date.now())));
    return deleted;
  });
}
