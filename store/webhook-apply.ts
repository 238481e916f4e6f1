// Turning a verified delivery's events (providers/types.ts WebhookEvent) into stored work, in two
// steps so that no transaction waits on anything: `planWebhookActions` (pure) resolves each event to a
// local user and maps carried documents with the provider's own `mapDocuments`, exactly as a pulled
// page is mapped; `applyWebhookActions` then runs inside the transaction that stores the event: the
// documents are upserted through the counting upsert (latest version wins, bad ones quarantined),
// deletions soft-delete. Fetches and backfills are left for Temporal, started after the commit.
import type { MappedPage, ProviderRuntime, WebhookEvent } from '../providers/types.ts';
import type { Queryable } from './db.ts';
import { quarantineRecords, upsertRecords } from './records.ts';
import { type StoredAction, softDeleteRecord } from './webhook-events.ts';

export interface PlannedAction {
  action: StoredAction;
  /** Upserts only: the carried documents, mapped. */
  page?: MappedPage;
}

/**
 * Events → actions for the users connected here (`userOf`: the provider's user id → the local one);
 * events for users nobody connected are skipped (the event is then kept as unmatched).
 */
export function planWebhookActions(
  runtime: ProviderRuntime,
  events: readonly WebhookEvent[],
  userOf: (externalUserId: string) => string | undefined,
): PlannedAction[] {
  const planned: PlannedAction[] = [];
  for (const event of events) {
    const userId = userOf(event.externalUserId);
    if (!userId) continue;
    if (event.type === 'fetch' || event.type === 'backfill') {
      const { type, kind, start, end } = event;
      planned.push({ action: { type, userId, kind, start: start.toISOString(), end: end.toISOString() } });
    } else if (event.type === 'delete') {
      planned.push({ action: { type: 'delete', userId, kind: event.kind, sourceId: event.sourceId } });
    } else {
      planned.push({
        action: { type: 'upsert', userId, kind: event.kind, count: event.documents.length },
        page: runtime.mapDocuments(event.kind, event.documents),
      });
    }
  }
  return planned;
}

/** Applies upserts and deletions in `tx`; returns every action with what it did (for the event row). */
export async function applyWebhookActions(
  tx: Queryable,
  provider: string,
  planned: readonly PlannedAction[],
): Promise<StoredAction[]> {
  const done: StoredAction[] = [];
  for (const { action, page } of planned) {
    if (action.type === 'upsert' && page) {
      const counts = await upsertRecords(tx, provider, action.userId, page.records);
      await quarantineRecords(tx, provider, action.userId, page.quarantined, null);
      done.push({ ...action, ...counts, quarantined: page.quarantined.length });
    } else if (action.type === 'delete') {
      done.push({ ...action, deleted: await softDeleteRecord(tx, { provider, ...action }) });
    } else {
      done.push(action);
    }
  }
  return done;
}
