// Verified webhook deliveries (sql/042_webhook_events.sql, sql/065) and what they did: one row per
// distinct delivery (sha256 of the body); carried documents and soft-deletes applied in the same
// transaction (store/webhook-apply.ts); fetches and backfills dispatched to Temporal after commit
// (and re-dispatched by the sweeper if that start was lost).
import { createHash } from 'node:crypto';
import type { Queryable } from './db.ts';

/**
 * `stored`: committed, Temporal work not started yet (the sweeper looks for these); `dispatched`:
 * that work started; `applied`: everything it asked for was done in its own transaction (documents,
 * deletions), nothing to start; `unmatched`: no connection carries its user; `invalid`: verified but
 * unreadable (kept with the reason).
 */
export type WebhookStatus = 'stored' | 'dispatched' | 'applied' | 'unmatched' | 'invalid';

/** An event resolved to a local user, as stored in `actions` (JSON-safe). */
export type StoredAction =
  | { type: 'fetch' | 'backfill'; userId: string; kind: string; start: string; end: string }
  | { type: 'delete'; userId: string; kind: string; sourceId: string; deleted?: number }
  | {
      type: 'upsert';
      userId: string;
      kind: string;
      count: number;
      inserted?: number;
      updated?: number;
      unchanged?: number;
      quarantined?: number;
    };

/** Actions that start Temporal work after the commit. */
export const needsDispatch = (action: StoredAction) => action.type === 'fetch' || action.type === 'backfill';

export interface NewWebhookEvent {
  provider: string;
  body: Buffer;
  externalUserId: string | null;
  userId: string | null;
  status: WebhookStatus;
  error: string | null;
  actions: StoredAction[];
}

export const webhookDedupKey = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** The new row's id, or undefined when the same delivery was stored before. */
export async function insertWebhookEvent(tx: Queryable, event: NewWebhookEvent): Promise<string | undefined> {
  const [row] = await tx<{ id: string }[]>`
    insert into webhook_events (provider, dedup_key, external_user_id, user_id, status, error, body, actions)
    values (${event.provider}, ${webhookDedupKey(event.body)}, ${event.externalUserId}, ${event.userId},
            ${event.status}, ${event.error}, ${event.body.toString('utf8')}, ${tx.json(event.actions as never)})
    on conflict (provider, dedup_key) do nothing
    returning id::text`;
  return row?.id;
}

export async function existingWebhookEvent(tx: Queryable, provider: string, body: Buffer) {
  const [row] = await tx<{ id: string; status: WebhookStatus }[]>`
    select id::text, status from webhook_events
    where provider = ${provider} and dedup_key = ${webhookDedupKey(body)}`;
  return row;
}

/** The actions as applied (with their counts), in the transaction that stored the event. */
export async function recordActions(tx: Queryable, id: string, actions: StoredAction[]): Promise<void> {
  await tx`update webhook_events set actions = ${tx.json(actions as never)} where id = ${id}`;
}

export async function markDispatched(tx: Queryable, id: string): Promise<void> {
  await tx`update webhook_events set status = 'dispatched', dispatched_at = now()
           where id = ${id} and status = 'stored'`;
}

/** Stored events whose fetches may not have been started (serve stopped between commit and start). */
export async function undispatchedEvents(tx: Queryable, olderThanSeconds: number, limit = 500) {
  return tx<{ id: string; provider: string; actions: StoredAction[] }[]>`
    select id::text, provider, actions from webhook_events
    where status = 'stored' and received_at < now() - make_interval(secs => ${olderThanSeconds})
    order by received_at limit ${limit}`;
}

/** A provider said this record is gone: soft-delete it (it stays queryable, marked deleted). */
export async function softDeleteRecord(
  tx: Queryable,
  key: { provider: string; userId: string; kind: string; sourceId: string },
): Promise<number> {
  const result = await tx`
    update records set deleted_at = now(), last_changed_at = now()
    where provider = ${key.provider} and user_id = ${key.userId} and kind = ${key.kind}
      and source_id = ${key.sourceId} and deleted_at is null`;
  return result.count;
}
