// Records of one kind for one user, kept sorted by position (start, tieKey) so range queries and cursor
// positions are binary searches rather than scans over five years of data.

import type { StoredRecord } from './types.ts';

export interface Position {
  startMs: number;
  tieKey: string;
}

export function comparePosition(a: Position, b: Position): number {
  if (a.startMs !== b.startMs) return a.startMs - b.startMs;
  return a.tieKey < b.tieKey ? -1 : a.tieKey > b.tieKey ? 1 : 0;
}

export class KindIndex {
  /** Ascending by position; deleted records stay (flagged) so they are never re-generated. */
  readonly list: StoredRecord[] = [];
  readonly byId = new Map<string, StoredRecord>();

  add(record: StoredRecord): void {
    const at = this.lowerBound(record);
    this.list.splice(at, 0, record);
    this.byId.set(record.id, record);
  }

  /** Live (not deleted) record by API id. */
  get(id: string): StoredRecord | undefined {
    const record = this.byId.get(id);
    return record && !record.deleted ? record : undefined;
  }

  /** Index of the first record whose position is >= `pos`. */
  lowerBound(pos: Position): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const item = this.list[mid];
      if (item && comparePosition(item, pos) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
