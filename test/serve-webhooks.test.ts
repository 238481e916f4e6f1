// WHOOP webhooks end to end over real HTTP: the sandbox signs and delivers v2 events to `serve`,
// which verifies, stores, acknowledges and fetches through Temporal into Postgres. Bad signatures,
// tampered bodies and stale timestamps get 401 and leave only a counter; re-deliveries are one row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../providers/whoop/sandbox/webhooks.ts';
import { webhookFetchWorkflowId } from '../serve/dispatch.ts';
import { setExternalUserId } from '../store/connections.ts';
import { type ServeStack, startServeStack } from './support/serve-stack.ts';
import { DAY_MS } from './support/whoop-stack.ts';

let stack: ServeStack;
let hookUrl: string;

beforeAll(async () => {
  stack = await startServeStack();
  hookUrl = `${stack.url}/v1/webhooks/whoop`;
  await stack.connectUser('ivy');
  await setExternalUserId(stack.db.sql, 'whoop', 'ivy', String(stack.sandbox.control.whoopUserId('ivy')));
});
afterAll(() => stack?.close());

const eventRows = async () =>
  Number((await stack.db.sql`select count(*)::int as n from webhook_events`)[0]?.n);

async function rejectedCount(): Promise<number> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  return Number(/wearhouse_webhooks_rejected_total\{provider="whoop"\} (\d+)/.exec(text)?.[1] ?? 0);
}

const recentSleeps = () =>
  stack.sandbox.control.records('ivy', 'sleep', new Date(Date.now() - 5 * DAY_MS)) as {
    id: string;
    updated_at: string;
  }[];

async function storedSleep(id: string) {
  const [row] = await stack.db.sql<{ payload: { updated_at: string }; deleted_at: Date | null }[]>`
    select payload, deleted_at from records where provider = 'whoop' and user_id = 'ivy' and kind = 'sleep' and source_id = ${id}`;
  return row;
}

async function fetched(eventId: string, index = 0) {
  const handle = stack.temporal.client.workflow.getHandle(webhookFetchWorkflowId('whoop', eventId, index));
  return handle.result();
}

describe('unverified deliveries', () => {
  it('401 for a wrong secret, a tampered body, a stale timestamp and missing headers; nothing stored, counted', async () => {
    const sleep = recentSleeps()[0];
    if (!sleep) throw new Error('the sandbox has no recent sleep');
    const before = await eventRows();
    const rejectedBefore = await rejectedCount();
    const wrong = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'ivy',
      type: 'sleep.updated',
      id: sleep.id,
      secret: 'not-the-secret',
    });
    expect(wrong.status).toBe(401);
    const stale = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'ivy',
      type: 'sleep.updated',
      id: sleep.id,
      timestampMs: Date.now() - 10 * 60_000,
    });
    expect(stale.status).toBe(401);
    const good = await stack.sandbox.control.deliverWebhook({
      url: `${stack.url}/v1/webhooks/nobody`,
      userKey: 'ivy',
      type: 'sleep.deleted',
      id: sleep.id,
    });
    expect(good.status).toBe(404);
    // The same signature over a changed body (another record's deletion).
    const tampered = await send(
      hookUrl,
      good.rawBody.replace('sleep.deleted', 'workout.deleted'),
      good.headers,
    );
    expect(tampered.status).toBe(401);
    const bare = await send(hookUrl, good.rawBody, { 'content-type': 'application/json' });
    expect(bare.status).toBe(401);
    expect(await eventRows()).toBe(before);
    expect(await rejectedCount()).toBe(rejectedBefore + 4);
    expect((await storedSleep(sleep.id))?.deleted_at ?? null).toBeNull();
  });
});

describe('verified deliveries', () => {
  it('sleep.updated → stored, acknowledged, fetched: the sleep is in Postgres as the sandbox serves it', async () => {
    const sleep = recentSleeps()[0];
    if (!sleep) throw new Error('the sandbox has no recent sleep');
    expect(await storedSleep(sleep.id)).toBeUndefined();
    const delivered = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'ivy',
      type: 'sleep.updated',
      id: sleep.id,
    });
    expect(delivered.status).toBe(200);
    const { eventId, status } = JSON.parse(delivered.body) as { eventId: string; status: string };
    expect(status).toBe('stored');
    const result = (await fetched(eventId)) as { kind: string; inserted: number };
    expect(result.kind).toBe('sleep');
    expect(result.inserted).toBeGreaterThan(0);
    expect((await storedSleep(sleep.id))?.payload).toEqual(sleep);
    const [row] = await stack.db.sql<{ status: string; user_id: string }[]>`
      select status, user_id from webhook_events where id = ${eventId}`;
    expect(row).toEqual({ status: 'dispatched', user_id: 'ivy' });
  });

  it('a rescored sleep: the next sleep.updated updates the stored record', async () => {
    // The sandbox scores sleeps of the last 3 days late (PENDING_SCORE), as WHOOP does.
    const pending = recentSleeps().find(
      (s) => (s as { score_state?: string }).score_state === 'PENDING_SCORE',
    );
    if (!pending) throw new Error('the sandbox has no pending sleep');
    expect((await storedSleep(pending.id))?.payload).toMatchObject({ score_state: 'PENDING_SCORE' });
    expect(stack.sandbox.control.rescore('ivy').rescored).toBeGreaterThan(0);
    const delivered = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'ivy',
      type: 'sleep.updated',
      id: pending.id,
    });
    const { eventId } = JSON.parse(delivered.body) as { eventId: string };
    const result = (await fetched(eventId)) as { updated: number };
    expect(result.updated).toBeGreaterThan(0);
    const stored = await storedSleep(pending.id);
    expect(stored?.payload).toMatchObject({ score_state: 'SCORED' });
    expect(stored?.payload).toEqual(recentSleeps().find((s) => s.id === pending.id));
  });

  it('a re-delivered event is one row and one fetch', async () => {
    const sleep = recentSleeps()[1];
    if (!sleep) throw new Error('no sleep');
    const first = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'ivy',
      type: 'workout.updated',
      id: sleep.id,
      traceId: 'trace-redelivered',
    });
    const again = await send(hookUrl, first.rawBody, first.headers);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    const firstBody = JSON.parse(first.body) as { eventId: string };
    expect(JSON.parse(again.body)).toEqual({ eventId: firstBody.eventId, status: 'duplicate' });
    const rows = await stack.db.sql`select id from webhook_events where body = ${first.rawBody}`;
    expect(rows).toHaveLength(1);
    await fetched(firstBody.eventId);
    const runs = stack.temporal.client.workflow.list({
      query: `WorkflowId = '${webhookFetchWorkflowId('whoop', firstBody.eventId, 0)}'`,
    });
    let count = 0;
    for await (const _ of runs) count++;
    expect(count).toBe(1);
  });

  it('sleep.deleted soft-deletes the record before the answer', async () => {
    const [deletedId] = stack.sandbox.control.deleteRecords('ivy', 'sleep', 1, 4);
    if (!deletedId) throw new Error('nothing deleted');
    expect((await storedSleep(deletedId))?.deleted_at).toBeNull();
    const delivered = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'ivy',
      type: 'sleep.deleted',
      id: deletedId,
    });
    expect(delivered.status).toBe(200);
    // Applied in the transaction that stored the event: nothing left for Temporal.
    expect(JSON.parse(delivered.body)).toMatchObject({ status: 'applied', actions: { deleted: 1 } });
    expect((await storedSleep(deletedId))?.deleted_at).toBeInstanceOf(Date);
  });

  it('an event for a user no connection carries is kept as unmatched, nothing fetched', async () => {
    const delivered = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'stranger',
      type: 'sleep.updated',
      id: 'abc',
    });
    expect(delivered.status).toBe(200);
    const { eventId, status } = JSON.parse(delivered.body) as { eventId: string; status: string };
    expect(status).toBe('unmatched');
    const [row] = await stack.db.sql`select status, actions from webhook_events where id = ${eventId}`;
    expect(row).toEqual({ status: 'unmatched', actions: [] });
  });

  it('a verified but unreadable body is kept as invalid and acknowledged', async () => {
    const delivered = await stack.sandbox.control.deliverWebhook({
      url: hookUrl,
      userKey: 'ivy',
      type: 'not a type!',
      id: 'x',
    });
    expect(delivered.status).toBe(200);
    expect(JSON.parse(delivered.body)).toMatchObject({ status: 'invalid' });
  });
});

describe('a crash between commit and dispatch loses nothing', () => {
  it('an event stored while Temporal is unreachable is dispatched by the sweeper', async () => {
    const offline = await stack.startAnotherServe({ temporalAddress: '127.0.0.1:1' });
    const sleep = recentSleeps()[2];
    if (!sleep) throw new Error('no sleep');
    const delivered = await stack.sandbox.control.deliverWebhook({
      url: `${offline.url}/v1/webhooks/whoop`,
      userKey: 'ivy',
      type: 'sleep.updated',
      id: sleep.id,
    });
    expect(delivered.status).toBe(200);
    const { eventId } = JSON.parse(delivered.body) as { eventId: string };
    const [pending] = await stack.db.sql`select status from webhook_events where id = ${eventId}`;
    expect(pending?.status).toBe('stored');
    const swept = await stack.serve.dispatcher.sweep(0);
    expect(swept.events).toBeGreaterThanOrEqual(1);
    await fetched(eventId);
    const [done] = await stack.db.sql`select status from webhook_events where id = ${eventId}`;
    expect(done?.status).toBe('dispatched');
  });
});
