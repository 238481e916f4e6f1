// Applying a provider's verified webhook events (providers/types.ts WebhookEvent): documents carried
// in the event are mapped like pulled ones and upserted (latest version wins, bad ones quarantined)
// in one transaction per event; deletions soft-delete; fetch requests are returned for the caller
// to start as targeted backfills. Events name users by their id at the provider
// (connections.external_user_id); events for users nobody connected are counted and skipped.
import type { ProviderRuntime, WebhookEvent } from '../providers/types.ts';
import { getConnectionByExternalUser } from './connections.ts';
import type { Sql } from './db.ts';
import { quarantineRecords, upsertRecords } from './records.ts';

export interface WebhookFetch {
  userId: string;
  kind: string;
  start: Date;
  end: Date;
}

export interface AppliedWebhookEvents {
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  deleted: number;
  fetches: WebhookFetch[];
  /** External ids with no connection here. */
  unknownUsers: string[];
}

export async function applyWebhookEvents(
  sql: Sql,
  runtime: ProviderRuntime,
  events: readonly WebhookEvent[],
): Promise<AppliedWebhookEvents> {
  const provider = runtime.descriptor.name;
  const applied: AppliedWebhookEvents = {
    inserted: 0,
    updated: 0,
    unchanged: 0,
    quarantined: 0,
    deleted: 0,
    fetches: [],
    unknownUsers: [],
  };
  for (const event of events) {
    const userId = (await getConnectionByExternalUser(sql, provider, event.externalUserId))?.user_id;
    if (!userId) {
      applied.unknownUsers.push(event.externalUserId);
      continue;
    }
    if (event.type === 'fetch') {
      applied.fetches.push({ userId, kind: event.kind, start: event.start, end: event.end });
    } else if (event.type === 'upsert') {
      const page = runtime.mapDocuments(event.kind, event.documents);
      await sql.begin(async (tx) => {
        const counts = await upsertRecords(tx, provider, userId, page.records);
        await quarantineRecords(tx, provider, userId, page.quarantined, null);
        applied.inserted += counts.inserted;
        applied.updated += counts.updated;
        applied.unchanged += counts.unchanged;
        applied.quarantined += page.quarantined.length;
      });
    } else {
      const result = await sql`
        update records set deleted_at = now(), last_changed_at = now()
        where provider = ${provider} and user_id = ${userId} and kind = ${event.kind}
          and source_id = ${event.sourceId} and deleted_at is null`;
      applied.deleted += result.count;
    }
  }
  return applied;
}
