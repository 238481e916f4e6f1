// One fetched page into Postgres, in one transaction: its records (idempotent upsert), its
// quarantined records, and the run ledger's running counts including this page.
import type { MappedPage, RequestStats } from '../providers/types.ts';
import type { Sql } from '../store/db.ts';
import { quarantineRecords, upsertRecords } from '../store/records.ts';
import { updateRunCounts } from '../store/runs.ts';
import { addCounts, type RunCounts } from './counts.ts';

export interface PageTarget {
  provider: string;
  userId: string;
  workflowId: string;
  /** The ledger row of this attempt, and what it has counted so far (before this page). */
  runRow: number;
  attemptCounts: RunCounts;
}

/** Returns this page's counts; the caller adds them to the attempt once the commit succeeded. */
export async function storePage(
  sql: Sql,
  target: PageTarget,
  page: MappedPage,
  requests: RequestStats,
): Promise<Partial<RunCounts>> {
  return sql.begin(async (tx) => {
    const stored = await upsertRecords(tx, target.provider, target.userId, page.records);
    await quarantineRecords(tx, target.provider, target.userId, page.quarantined, target.workflowId);
    const counts = {
      pages: 1,
      fetched: page.records.length + page.quarantined.length,
      quarantined: page.quarantined.length,
      ...stored,
      ...requests,
    };
    await updateRunCounts(tx, target.runRow, addCounts({ ...target.attemptCounts }, counts));
    return counts;
  });
}

/** The source ids a page proves present: stored ones, and quarantined ones (a bad latest version is not gone). */
export function seenIds(page: MappedPage): string[] {
  return [
    ...page.records.map((record) => record.sourceId),
    ...page.quarantined.flatMap((bad) => (bad.sourceId ? [bad.sourceId] : [])),
  ];
}
