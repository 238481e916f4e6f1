// records.local_day and the typed views' `day` agree (sql/008): cycles starting at every hour of
// the evening and night in several offsets, their sleeps and recoveries, mapped as a page is and
// stored with the real upsert; and a recovery whose cycle is gone still gets its cycle's day.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { MappedRecord } from '../providers/types.ts';
import { mapWhoopRecord } from '../providers/whoop/index.ts';
import { upsertRecords } from '../store/records.ts';
import { WHOOP_SPEC_URL } from './fixtures/whoop-spec.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

interface SpecSchema {
  $ref?: string;
  example?: unknown;
  properties?: Record<string, SpecSchema>;
}
const spec = parse(readFileSync(WHOOP_SPEC_URL, 'utf8')) as {
  components: { schemas: Record<string, SpecSchema> };
};

/** An object with every property the spec documents, each set to the spec's example. */
function example(name: string): Record<string, unknown> {
  const build = (schema: SpecSchema): unknown => {
    if (schema.$ref)
      return build(spec.components.schemas[schema.$ref.split('/').pop() as string] as SpecSchema);
    if (schema.properties) {
      return Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, build(value)]));
    }
    return schema.example;
  };
  return build(spec.components.schemas[name] as SpecSchema) as Record<string, unknown>;
}

function mapped(kind: 'cycle' | 'sleep' | 'recovery', body: Record<string, unknown>): MappedRecord {
  const result = mapWhoopRecord(kind, body);
  if (!result.ok) throw new Error(`fixture does not map: ${result.quarantined.reason}`);
  return result.record;
}

/** A night: a cycle from `start` (sleep onset) with its sleep and the recovery that sleep produced. */
function night(id: number, start: Date, offset: string): MappedRecord[] {
  const wake = new Date(start.getTime() + 8 * 3_600_000);
  const sleepId = `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
  const cycle = { ...example('Cycle'), id, start: start.toISOString(), end: null, timezone_offset: offset };
  const sleep = {
    ...example('Sleep'),
    id: sleepId,
    cycle_id: id,
    start: start.toISOString(),
    end: wake.toISOString(),
    timezone_offset: offset,
  };
  const recovery = { ...example('Recovery'), cycle_id: id, sleep_id: sleepId };
  return [mapped('cycle', cycle), mapped('sleep', sleep), mapped('recovery', recovery)];
}

describe('record days', () => {
  it('local_day of every cycle and sleep is the day its view row shows, and recoveries follow their cycle', async () => {
    const records: MappedRecord[] = [];
    let id = 500_000;
    for (const offset of ['-08:00', '-05:00', 'Z', '+05:30', '+10:00']) {
      // Sleep onsets from 18:00 to 05:00 local time, hour by hour.
      for (let localHour = 18; localHour <= 29; localHour++) {
        const minutes = { '-08:00': -480, '-05:00': -300, Z: 0, '+05:30': 330, '+10:00': 600 }[offset] ?? 0;
        const start = new Date(Date.UTC(2025, 5, 10, localHour, 15) - minutes * 60_000);
        records.push(...night(id++, start, offset));
      }
    }
    await upsertRecords(
      db.sql,
      'whoop',
      'nora',
      records.filter((r) => r.kind !== 'recovery'),
    );
    await upsertRecords(
      db.sql,
      'whoop',
      'nora',
      records.filter((r) => r.kind === 'recovery'),
    );

    const disagree = await db.sql`
      select r.kind, r.source_id, r.local_day, v.day from records r
      join (select 'cycle' as kind, source_id, day from cycles
            union all select 'sleep', source_id, day from sleeps
            union all select 'recovery', source_id, day from recoveries) v
        on v.kind = r.kind and v.source_id = r.source_id
      where r.user_id = 'nora' and r.local_day is distinct from v.day`;
    expect(disagree).toEqual([]);
    const [counted] = await db.sql<{ n: number; evening: number }[]>`
      select count(*)::int as n,
             count(*) filter (where wearhouse_local(start_at, tz_offset)::date <> local_day)::int as evening
      from records where user_id = 'nora' and kind = 'cycle'`;
    expect(counted?.n).toBe(60);
    // The evening onsets (18:00-23:15) are the cycles whose day is not their start's date.
    expect(counted?.evening).toBe(30);
  });

  it("a recovery whose cycle is deleted keeps its cycle's day, not the date of the cycle's start", async () => {
    // 21:30 at -05:00 on June 10th: the cycle's day is June 11th.
    const [cycle, sleep, recovery] = night(900_001, new Date('2025-06-11T02:30:00Z'), '-05:00');
    await upsertRecords(db.sql, 'whoop', 'otto', [cycle as MappedRecord, sleep as MappedRecord]);
    await upsertRecords(db.sql, 'whoop', 'otto', [recovery as MappedRecord]);
    await db.sql`update records set deleted_at = now() where user_id = 'otto' and kind in ('cycle', 'sleep')`;
    const [row] = await db.sql<{ day: string }[]>`select day::text from recoveries where user_id = 'otto'`;
    expect(row?.day).toBe('2025-06-11');
  });
});
