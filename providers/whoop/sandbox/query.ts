// Collection semantics, shared by the paged endpoints and control.records so tests compare against the
// very same rule the API applies.
//
// FILTER RULE: a record is in [start, end) when  start <= record.start < end , where record.start is the
// record's own `start` (for recoveries: the start of their cycle). A record that began before `start`
// but overlaps it is NOT returned, so consecutive windows partition a user's data exactly once.
// `end` defaults to the sandbox clock's now; no `start` means no lower bound.
//
// ORDER: newest first, i.e. descending by (start, id); ties on start are broken by id so the order is
// total. CURSOR: nextToken is base64url("v1:<startMs>:<tieKey>") of the last record returned; the next
// page continues strictly after that position, so it stays valid and stable when records are added
// (they land before or after the position, never shift it) or deleted.

import type { KindIndex, Position } from './kind-index.ts';
import type { StoredRecord } from './types.ts';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 25;

/** RFC 3339 date-time with a mandatory zone: what the spec's `format: date-time` means. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export function parseInstant(value: string): number | undefined {
  if (!DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export interface CollectionQuery {
  limit: number;
  startMs?: number;
  endMs: number;
  after?: Position;
}

export function parseCollectionQuery(
  params: URLSearchParams,
  nowMs: number,
): { ok: true; query: CollectionQuery } | { ok: false; message: string } {
  let limit = DEFAULT_LIMIT;
  const rawLimit = params.get('limit');
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit)) return { ok: false, message: 'limit must be an integer' };
    limit = Number(rawLimit);
    if (limit < 1 || limit > MAX_LIMIT) {
      return { ok: false, message: `limit must be between 1 and ${MAX_LIMIT}` };
    }
  }
  // An unencoded '+' in an offset arrives as a space: say so, it is the classic client bug.
  const hint = (raw: string) => (raw.includes(' ') ? " (encode '+' in the offset as %2B)" : '');
  const rawStart = params.get('start');
  const startMs = rawStart === null ? undefined : parseInstant(rawStart);
  if (rawStart !== null && startMs === undefined) {
    return { ok: false, message: `start must be an ISO 8601 date-time${hint(rawStart)}` };
  }
  const rawEnd = params.get('end');
  const endMs = rawEnd === null ? nowMs : parseInstant(rawEnd);
  if (endMs === undefined) {
    return { ok: false, message: `end must be an ISO 8601 date-time${hint(rawEnd ?? '')}` };
  }
  const rawToken = params.get('nextToken');
  let after: Position | undefined;
  if (rawToken !== null) {
    after = decodeCursor(rawToken);
    if (!after) return { ok: false, message: 'nextToken is not valid' };
  }
  return { ok: true, query: { limit, startMs, endMs, after } };
}

export function encodeCursor(pos: Position): string {
  return Buffer.from(`v1:${pos.startMs}:${pos.tieKey}`).toString('base64url');
}

export function decodeCursor(token: string): Position | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const match = /^v1:(-?\d+):(.+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) return undefined;
  return { startMs: Number(match[1]), tieKey: match[2] };
}

/** Live records of the index matching the filter rule, newest first, strictly after `after` if given. */
export function* selectDescending(
  index: KindIndex,
  startMs: number | undefined,
  endMs: number,
  after?: Position,
): Generator<StoredRecord> {
  const lo = startMs === undefined ? 0 : index.lowerBound({ startMs, tieKey: '' });
  let hi = index.lowerBound({ startMs: endMs, tieKey: '' });
  if (after) hi = Math.min(hi, index.lowerBound(after));
  for (let i = hi - 1; i >= lo; i--) {
    const record = index.list[i];
    if (record && !record.deleted) yield record;
  }
}

export interface PageResult {
  records: StoredRecord[];
  nextToken?: string;
}

export function page(index: KindIndex, query: CollectionQuery): PageResult {
  const records: StoredRecord[] = [];
  let more = false;
  for (const record of selectDescending(index, query.startMs, query.endMs, query.after)) {
    if (records.length === query.limit) {
      more = true;
      break;
    }
    records.push(record);
  }
  const last = records.at(-1);
  return { records, nextToken: more && last ? encodeCursor(last) : undefined };
}
