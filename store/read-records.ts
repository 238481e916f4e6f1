// Raw provider documents for the read API (docs/read-api.md), keyset-paged by (local day, provider,
// source id) so a page costs the same however deep it is. Only the records table is read: no
// credential is ever in reach.
import type { Queryable } from './db.ts';

export interface RecordKey {
  day: string;
  provider: string;
  sourceId: string;
}

export interface RecordPage {
  records: {
    provider: string;
    kind: string;
    sourceId: string;
    day: string | null;
    startAt: string | null;
    endAt: string | null;
    providerUpdatedAt: string | null;
    payload: unknown;
  }[];
  /** The last record's key when there may be more. */
  next: RecordKey | undefined;
}

export async function recordPage(
  sql: Queryable,
  query: { userId: string; kind: string; from: string; to: string; provider?: string; after?: RecordKey },
  limit: number,
): Promise<RecordPage> {
  const after = query.after;
  const rows = await sql<
    {
      provider: string;
      kind: string;
      source_id: string;
      day: string | null;
      start_at: Date | null;
      end_at: Date | null;
      provider_updated_at: Date | null;
      payload: unknown;
    }[]
  >`
    select provider, kind, source_id, local_day::text as day, start_at, end_at, provider_updated_at, payload
    from records
    where user_id = ${query.userId} and kind = ${query.kind} and deleted_at is null
      and local_day between ${query.from}::date and ${query.to}::date
      and (${query.provider ?? null}::text is null or provider = ${query.provider ?? null})
      and (${after?.day ?? null}::date is null
           or (local_day, provider, source_id) > (${after?.day ?? null}::date, ${after?.provider ?? ''}, ${after?.sourceId ?? ''}))
    order by local_day, provider, source_id
    limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    records: page.map((r) => ({
      provider: r.provider,
      kind: r.kind,
      sourceId: r.source_id,
      day: r.day,
      startAt: r.start_at?.toISOString() ?? null,
      endAt: r.end_at?.toISOString() ?? null,
      providerUpdatedAt: r.provider_updated_at?.toISOString() ?? null,
      payload: r.payload,
    })),
    next:
      rows.length > limit && last
        ? { day: last.day ?? '', provider: last.provider, sourceId: last.source_id }
        : undefined,
  };
}

/** Opaque to clients: base64url of the last key. */
export const encodeCursor = (key: RecordKey) =>
  Buffer.from(JSON.stringify([key.day, key.provider, key.sourceId])).toString('base64url');

export function decodeCursor(cursor: string): RecordKey | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [day, provider, sourceId] = value as unknown[];
    if (typeof day === 'string' && typeof provider === 'string' && typeof sourceId === 'string') {
      if (/^\d{4}-\d{2}-\d{2}$/.test(day)) return { day, provider, sourceId };
    }
  } catch {}
  return undefined;
}
