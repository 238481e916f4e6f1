// What the stored daily rows (sql/080, sql/082) cost the pipeline's write path: pages of 25 changed
// records of one user (the newest first, as an incremental sync or webhook fetch stores them),
// each upserted in its own transaction by upsertRecords, with the records trigger on and off
// alternately, in the same process on the same data. The ratio is the figure; absolute times carry
// the shared machine's noise.
import type { MappedRecord } from '../providers/types.ts';
import { upsertRecords } from '../store/records.ts';
import type { BenchDatabase } from './harness.ts';
import { percentile } from './stats.ts';

export interface WritePathTiming {
  user: string;
  pages: number;
  /** Median ms per page of 25 with the trigger keeping the stored daily rows. */
  withTriggerMs: number;
  withoutTriggerMs: number;
  ratio: number;
}

export async function measureWritePath(
  db: BenchDatabase,
  userId: string,
  pages = 20,
): Promise<WritePathTiming> {
  const rows = await db.sql<
    {
      kind: string;
      source_id: string;
      start_at: Date | null;
      end_at: Date | null;
      tz_offset: string | null;
      local_day: Date | null;
      payload: Record<string, unknown>;
    }[]
  >`select kind, source_id, start_at, end_at, tz_offset, local_day, payload from records
    where user_id = ${userId} and kind in ('cycle', 'sleep', 'workout') and deleted_at is null
    order by start_at desc limit ${pages * 25}`;
  let revision = 0;
  const page = (i: number): MappedRecord[] =>
    rows.slice(i * 25, i * 25 + 25).map((r) => ({
      kind: r.kind,
      sourceId: r.source_id,
      startAt: r.start_at,
      endAt: r.end_at,
      tzOffset: r.tz_offset,
      localDay: r.local_day ? r.local_day.toISOString().slice(0, 10) : null,
      providerUpdatedAt: new Date(),
      // A changed payload, so every row is rewritten (a rescore), and nothing the views read moves.
      payload: { ...r.payload, bench_revision: ++revision },
    }));
  const provider = (
    await db.sql<{ p: string }[]>`select provider as p from records where user_id = ${userId} limit 1`
  )[0]?.p as string;
  const timeOne = async (records: MappedRecord[]) => {
    const t = performance.now();
    await db.sql.begin((tx) => upsertRecords(tx, provider, userId, records));
    return performance.now() - t;
  };
  const withTrigger: number[] = [];
  const withoutTrigger: number[] = [];
  for (let i = 0; i < pages; i++) {
    const records = page(i);
    // Alternate which goes first, so neither always finds the pages cached.
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const on of order) {
      if (!on) await db.sql`alter table records disable trigger user`;
      try {
        (on ? withTrigger : withoutTrigger).push(
          await timeOne(
            records.map((r) => ({ ...r, payload: { ...r.payload, bench_revision: ++revision } })),
          ),
        );
      } finally {
        if (!on) await db.sql`alter table records enable trigger user`;
      }
    }
  }
  const withTriggerMs = percentile(withTrigger, 50);
  const withoutTriggerMs = percentile(withoutTrigger, 50);
  return { user: userId, pages, withTriggerMs, withoutTriggerMs, ratio: withTriggerMs / withoutTriggerMs };
}
