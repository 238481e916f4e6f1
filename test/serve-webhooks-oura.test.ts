// Oura webhooks end to end over real HTTP: the real `serve`, Postgres, the Temporal dev server and a
// worker, and the Oura sandbox. The worker's schedule creates the app's subscriptions (the sandbox
// checks serve's GET challenge first, as Oura does) and renews those about to expire; the sandbox
// signs notifications (x-oura-signature) and delivers them to the subscribed callback; serve verifies,
// stores, and fetches the named kind through Temporal (a delete soft-deletes before the answer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryResult } from '../providers/oura/sandbox/types.ts';
import { webhookFetchWorkflowId } from '../serve/dispatch.ts';
import { setExternalUserId } from '../store/connections.ts';
import { freePort } from '../worker/stack/processes.ts';
import { subscriptionScheduleId } from '../worker/subscription-schedules.ts';
import { type OuraStack, startOuraStack } from './support/oura-stack.ts';
import { type ServeOn, startServeOn } from './support/serve-stack.ts';
import { DAY_MS, day, iso } from './support/whoop-stack.ts';

const TOKEN = 'oura-verification-token';
let stack: OuraStack;
let serve: ServeOn;
let callbackUrl: string;

beforeAll(async () => {
  // The worker must know serve's public URL (the callback it subscribes), so the port comes first.
  const port = await freePort();
  stack = await startOuraStack({
    env: { OURA_WEBHOOK_VERIFICATION_TOKEN: TOKEN, WEARHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}` },
  });
  serve = await startServeOn(stack, {}, port);
  callbackUrl = `${serve.url}/v1/webhooks/oura`;
  await stack.connectUser('alice');
  await setExternalUserId(stack.db.sql, 'oura', 'alice', stack.sandbox.control.ouraUserId('alice'));
});
afterAll(async () => {
  await stack?.temporal.client.schedule
    .getHandle(subscriptionScheduleId('oura'))
    .delete()
    .catch(() => {});
  await serve?.close();
  await stack?.close();
});

async function rejectedCount(): Promise<number> {
  const text = await (await fetch(`${serve.url}/metrics`)).text();
  return Number(/wearhouse_webhooks_rejected_total\{provider="oura"\} (\d+)/.exec(text)?.[1] ?? 0);
}

const eventRows = async () =>
  Number((await stack.db.sql`select count(*)::int as n from webhook_events`)[0]?.n);

async function stored(kind: string, sourceId: string) {
  const [row] = await stack.db.sql<{ payload: Record<string, unknown>; deleted_at: Date | null }[]>`
    select payload, deleted_at from records
    where provider = 'oura' and user_id = 'alice' and kind = ${kind} and source_id = ${sourceId}`;
  return row;
}

const only = (results: DeliveryResult[]): DeliveryResult => {
  expect(results).toHaveLength(1);
  return results[0] as DeliveryResult;
};

const answer = (delivery: DeliveryResult) => JSON.parse(delivery.body) as { eventId: string; status: string };

describe('the subscription check (GET)', () => {
  it('echoes the challenge for the configured verification token only; 401 otherwise', async () => {
    const rejectedBefore = await rejectedCount();
    const right = await fetch(`${callbackUrl}?verification_token=${TOKEN}&challenge=abc-123`);
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ challenge: 'abc-123' });
    const wrong = await fetch(`${callbackUrl}?verification_token=not-it&challenge=abc-123`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).not.toHaveProperty('challenge');
    expect((await fetch(`${callbackUrl}?challenge=abc-123`)).status).toBe(401);
    expect((await fetch(`${callbackUrl}?verification_token=${TOKEN}`)).status).toBe(401);
    expect(await rejectedCount()).toBe(rejectedBefore + 3);
    // A provider without a challenge has no GET.
    expect((await fetch(`${serve.url}/v1/webhooks/whoop?verification_token=x&challenge=y`)).status).toBe(404);
  });
});

describe('subscriptions kept by a Temporal schedule', () => {
  it('the worker schedules it; its first run subscribes every pulled kind × create/update/delete to serve', async () => {
    const handle = stack.temporal.client.schedule.getHandle(subscriptionScheduleId('oura'));
    let description = await handle.describe();
    expect(description.spec.intervals).toMatchObject([{ every: 12 * 3_600_000 }]);
    expect(description.action).toMatchObject({
      workflowType: 'keepWebhookSubscriptions',
      args: [{ provider: 'oura', callbackUrl }],
    });
    // The run started when the worker came up (serve may have come up after it: it retried).
    const deadline = Date.now() + 60_000;
    while (description.info.recentActions.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      description = await handle.describe();
    }
    const first = description.info.recentActions[0];
    if (!first) throw new Error('the schedule never ran');
    const result = await stack.temporal.client.workflow.getHandle(first.action.workflow.workflowId).result();
    expect(result).toMatchObject({ created: 24, renewed: 0, kept: 0 });
    const subscriptions = stack.sandbox.control.subscriptions();
    expect(subscriptions).toHaveLength(24);
    expect(new Set(subscriptions.map((s) => s.callback_url))).toEqual(new Set([callbackUrl]));
    expect(new Set(subscriptions.map((s) => `${s.data_type}.${s.event_type}`)).size).toBe(24);
  });

  it('a later run renews what expires within the margin and keeps the rest', async () => {
    const [a, b] = stack.sandbox.control.subscriptions();
    if (!a || !b) throw new Error('no subscriptions');
    const soon = new Date(Date.now() + 3_600_000);
    stack.sandbox.control.setSubscriptionExpiry(a.id, soon);
    stack.sandbox.control.setSubscriptionExpiry(b.id, soon);
    const run = await stack.temporal.client.workflow.start('keepWebhookSubscriptions', {
      taskQueue: stack.temporal.config.TEMPORAL_TASK_QUEUE,
      workflowId: `oura-subscriptions-renew-${Date.now()}`,
      args: [{ provider: 'oura', callbackUrl }],
    });
    expect(await run.result()).toMatchObject({ created: 0, renewed: 2, kept: 22 });
    for (const renewed of stack.sandbox.control.subscriptions().filter((s) => [a.id, b.id].includes(s.id))) {
      expect(Date.parse(renewed.expiration_time)).toBeGreaterThan(Date.now() + 20 * DAY_MS);
    }
  });
});

describe('notifications', () => {
  it('a signed update delivered to the subscription → stored, acknowledged, fetched: Postgres holds the changed document', async () => {
    const onDay = iso(day(-2));
    const [changedId] = stack.sandbox.control.mutate('alice', 'daily_sleep', onDay);
    if (!changedId) throw new Error('nothing to change');
    const delivery = only(
      await stack.sandbox.control.deliverWebhook({
        userKey: 'alice',
        eventType: 'update',
        dataType: 'daily_sleep',
        objectId: changedId,
        eventTime: new Date(day(-2).getTime() + 12 * 3_600_000),
      }),
    );
    expect(delivery.url).toBe(callbackUrl);
    expect(delivery.status).toBe(200);
    const { eventId, status } = answer(delivery);
    expect(status).toBe('stored');
    const result = (await stack.temporal.client.workflow
      .getHandle(webhookFetchWorkflowId('oura', eventId, 0))
      .result()) as { kind: string; inserted: number };
    expect(result.kind).toBe('daily_sleep');
    const served = stack.sandbox.control
      .documents('alice', 'daily_sleep', onDay, onDay)
      .find((d) => d.id === changedId);
    expect((await stored('daily_sleep', changedId))?.payload).toEqual(served);
  });

  it('a re-delivered notification is one row and one fetch', async () => {
    const [target] = stack.sandbox.control.documents('alice', 'daily_readiness', iso(day(-3)), iso(day(-3)));
    if (!target) throw new Error('no readiness');
    const first = only(
      await stack.sandbox.control.deliverWebhook({
        userKey: 'alice',
        eventType: 'create',
        dataType: 'daily_readiness',
        objectId: String(target.id),
        eventTime: new Date(day(-3).getTime() + 9 * 3_600_000),
      }),
    );
    const again = await fetch(callbackUrl, { method: 'POST', headers: first.headers, body: first.rawBody });
    expect(await again.json()).toEqual({ eventId: answer(first).eventId, status: 'duplicate' });
    expect(await stack.db.sql`select id from webhook_events where body = ${first.rawBody}`).toHaveLength(1);
    await stack.temporal.client.workflow
      .getHandle(webhookFetchWorkflowId('oura', answer(first).eventId, 0))
      .result();
    let runs = 0;
    for await (const _ of stack.temporal.client.workflow.list({
      query: `WorkflowId = '${webhookFetchWorkflowId('oura', answer(first).eventId, 0)}'`,
    }))
      runs++;
    expect(runs).toBe(1);
    expect((await stored('daily_readiness', String(target.id)))?.payload).toEqual(target);
  });

  it('a delete soft-deletes the stored document before the answer', async () => {
    const onDay = iso(day(-2));
    const [doc] = stack.sandbox.control.documents('alice', 'daily_sleep', onDay, onDay);
    if (!doc) throw new Error('no daily_sleep');
    expect((await stored('daily_sleep', String(doc.id)))?.deleted_at).toBeNull();
    stack.sandbox.control.deleteDocuments('alice', 'daily_sleep', onDay);
    const delivery = only(
      await stack.sandbox.control.deliverWebhook({
        userKey: 'alice',
        eventType: 'delete',
        dataType: 'daily_sleep',
        objectId: String(doc.id),
      }),
    );
    expect(answer(delivery).status).toBe('applied');
    expect((await stored('daily_sleep', String(doc.id)))?.deleted_at).toBeInstanceOf(Date);
  });

  it('401 for another secret, a tampered body and a stale timestamp; nothing stored but the counter', async () => {
    const rowsBefore = await eventRows();
    const rejectedBefore = await rejectedCount();
    const notification = {
      userKey: 'alice',
      eventType: 'update' as const,
      dataType: 'sleep',
      objectId: 'whatever',
    };
    const forged = await stack.sandbox.control.deliverWebhook(notification, {
      url: callbackUrl,
      secret: 'not-the-client-secret',
    });
    expect(only(forged).status).toBe(401);
    const stale = await stack.sandbox.control.deliverWebhook(notification, {
      url: callbackUrl,
      timestampSeconds: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(only(stale).status).toBe(401);
    const good = only(
      await stack.sandbox.control.deliverWebhook(notification, { url: `${serve.url}/nowhere` }),
    );
    const tampered = await fetch(callbackUrl, {
      method: 'POST',
      headers: good.headers,
      body: good.rawBody.replace('"update"', '"delete"'),
    });
    expect(tampered.status).toBe(401);
    expect(await eventRows()).toBe(rowsBefore);
    expect(await rejectedCount()).toBe(rejectedBefore + 3);
  });
});
