// Junction webhooks end to end over real HTTP: the sandbox signs events the Svix way and they are
// POSTed to the real `serve` (real Postgres, Temporal dev server and worker, the Junction sandbox).
// A daily.data event's document is upserted before the answer (latest version wins); a
// historical.data event backfills the range it names through Temporal; a forged or stale delivery
// gets 401 and leaves only the counter; a re-delivery is one row and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillWorkflowId } from '../cli/operations.ts';
import type { SignedDelivery } from '../providers/junction/sandbox/webhook-events.ts';
import { type JunctionStack, startJunctionStack } from './support/junction-stack.ts';
import { type ServeOn, startServeOn } from './support/serve-stack.ts';
import { DAY_MS, day, iso } from './support/whoop-stack.ts';

let stack: JunctionStack;
let serve: ServeOn;
let hookUrl: string;

beforeAll(async () => {
  stack = await startJunctionStack();
  await stack.connectUser('alice');
  await stack.connectUser('bob');
  serve = await startServeOn(stack);
  hookUrl = `${serve.url}/v1/webhooks/junction`;
});
afterAll(async () => {
  await serve?.close();
  await stack?.close();
});

async function post(delivery: SignedDelivery, url = hookUrl) {
  const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function stored(userId: string, kind: string, sourceId: string) {
  const [row] = await stack.db.sql<{ payload: Record<string, unknown>; last_changed_at: Date }[]>`
    select payload, last_changed_at from records
    where provider = 'junction' and user_id = ${userId} and kind = ${kind} and source_id = ${sourceId}`;
  return row;
}

const eventRows = async () =>
  Number((await stack.db.sql`select count(*)::int as n from webhook_events`)[0]?.n);

async function rejectedCount(): Promise<number> {
  const text = await (await fetch(`${serve.url}/metrics`)).text();
  return Number(/wearhouse_webhooks_rejected_total\{provider="junction"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('daily.data events carry the document', () => {
  it('created → inserted, updated → updated, an older version delivered late → unchanged; before the answer', async () => {
    const dayOf = iso(day(-40));
    const original = stack.sandbox.documents('alice', 'activity', dayOf)[0];
    if (!original) throw new Error('no activity that day');
    expect(await stored('alice', 'activity', original.id)).toBeUndefined();

    const created = await post(
      stack.sandbox.sign(stack.sandbox.dailyEvent('alice', 'activity', 'created', original)),
    );
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: 'applied', actions: { upserted: 1 } });
    // Committed before the answer: no workflow, no waiting.
    expect((await stored('alice', 'activity', original.id))?.payload).toEqual(original);

    const revised = stack.sandbox.revise('alice', 'activity', dayOf);
    expect(revised.steps).not.toBe(original.steps);
    const updated = await post(
      stack.sandbox.sign(stack.sandbox.dailyEvent('alice', 'activity', 'updated', revised)),
    );
    expect(updated.body).toMatchObject({ status: 'applied', actions: { upserted: 1 } });
    expect((await stored('alice', 'activity', original.id))?.payload).toEqual(revised);
    const [row] = await stack.db.sql<{ status: string; user_id: string; actions: unknown[] }[]>`
      select status, user_id, actions from webhook_events where id = ${String(updated.body.eventId)}`;
    expect(row).toEqual({
      status: 'applied',
      user_id: 'alice',
      actions: [
        {
          type: 'upsert',
          userId: 'alice',
          kind: 'activity',
          count: 1,
          inserted: 0,
          updated: 1,
          unchanged: 0,
          quarantined: 0,
        },
      ],
    });

    // The original version again, in another event (a late, out-of-order delivery): the stored,
    // newer one wins. (The same event's bytes again would be a duplicate delivery: next test.)
    const late = await post(
      stack.sandbox.sign(stack.sandbox.dailyEvent('alice', 'activity', 'updated', original)),
    );
    expect(late.body).toMatchObject({ status: 'applied', actions: { upserted: 0 } });
    expect((await stored('alice', 'activity', original.id))?.payload).toEqual(revised);
  });

  it('a re-delivered event is one row and changes nothing', async () => {
    const dayOf = iso(day(-41));
    const doc = stack.sandbox.revise('alice', 'sleep', dayOf);
    const delivery = stack.sandbox.sign(stack.sandbox.dailyEvent('alice', 'sleep', 'updated', doc));
    const first = await post(delivery);
    expect(first.body).toMatchObject({ status: 'applied', actions: { upserted: 1 } });
    const before = await stored('alice', 'sleep', doc.id);
    const again = await post(delivery);
    expect(again).toEqual({ status: 200, body: { eventId: first.body.eventId, status: 'duplicate' } });
    expect(await stack.db.sql`select id from webhook_events where body = ${delivery.body}`).toHaveLength(1);
    expect(await stored('alice', 'sleep', doc.id)).toEqual(before);
  });

  it('a document that fails validation is quarantined with the reason, the delivery acknowledged', async () => {
    const bad = { id: 'not-a-real-sleep', calendar_date: 'someday' };
    const delivered = await post(
      stack.sandbox.sign(stack.sandbox.dailyEvent('alice', 'sleep', 'created', bad)),
    );
    expect(delivered.body).toMatchObject({ status: 'applied', actions: { upserted: 0 } });
    const [row] = await stack.db.sql<{ reason: string }[]>`
      select reason from quarantine where provider = 'junction' and user_id = 'alice' and kind = 'sleep'
        and payload ->> 'id' = 'not-a-real-sleep'`;
    expect(row?.reason).toMatch(/\S/);
    expect(await stored('alice', 'sleep', 'not-a-real-sleep')).toBeUndefined();
  });
});

describe('unverified deliveries', () => {
  it('401 for a forged signature, a tampered body, a stale timestamp and no signature; nothing stored but the counter', async () => {
    const dayOf = iso(day(-42));
    const [original] = stack.sandbox.documents('bob', 'sleep', dayOf);
    if (!original) throw new Error('no sleep that day');
    const records = () =>
      stack.db.sql`select source_id, payload, last_changed_at from records order by kind, source_id`;
    const recordsBefore = await records();
    const rowsBefore = await eventRows();
    const rejectedBefore = await rejectedCount();
    const revised = stack.sandbox.revise('bob', 'sleep', dayOf);
    const event = stack.sandbox.dailyEvent('bob', 'sleep', 'updated', revised);

    const forged = stack.sandbox.sign(event, {
      secret: `whsec_${Buffer.from('an attacker knows not the secret').toString('base64')}`,
    });
    expect((await post(forged)).status).toBe(401);
    const good = stack.sandbox.sign(event);
    const tampered = { ...good, body: good.body.replace(`"${revised.id}"`, '"another-id"') };
    expect(tampered.body).not.toBe(good.body);
    expect((await post(tampered)).status).toBe(401);
    const stale = stack.sandbox.sign(event, { at: new Date(Date.now() - 10 * 60_000) });
    expect((await post(stale)).status).toBe(401);
    const { 'svix-signature': _dropped, ...unsigned } = good.headers;
    expect((await post({ ...good, headers: unsigned })).status).toBe(401);

    expect(await eventRows()).toBe(rowsBefore);
    expect(await records()).toEqual(recordsBefore);
    expect(await rejectedCount()).toBe(rejectedBefore + 4);
    // The same event, signed right, goes through: the rejections were about the deliveries.
    expect((await post(good)).body).toMatchObject({ status: 'applied', actions: { upserted: 1 } });
  });
});

describe('historical.data events', () => {
  it('historical.data.sleep.created → a backfill of the days it names, recorded as covered', async () => {
    const start = day(-160);
    const last = day(-131);
    const end = new Date(last.getTime() + DAY_MS);
    const before = await stack.compare('bob', 'sleep', start, end);
    expect(before.stored).toEqual([]);
    const delivered = await post(
      stack.sandbox.sign(
        stack.sandbox.historicalEvent('bob', 'sleep', start, new Date(end.getTime() - 1000)),
      ),
    );
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ status: 'stored', actions: { backfills: 1 } });

    await stack.temporal.client.workflow.getHandle(backfillWorkflowId('junction', 'bob')).result();
    const after = await stack.compare('bob', 'sleep', start, end);
    expect(after.served.length).toBeGreaterThanOrEqual(29);
    expect(after.stored).toEqual(after.served);
    const [covered] = await stack.db.sql<{ covered: boolean }[]>`
      select range_agg(span) @> tstzrange(${start}, ${end}) as covered from coverage
      where provider = 'junction' and user_id = 'bob' and kind = 'sleep' and final`;
    expect(covered?.covered).toBe(true);
    const [row] = await stack.db.sql<{ status: string }[]>`
      select status from webhook_events where id = ${String(delivered.body.eventId)}`;
    expect(row?.status).toBe('dispatched');
  });

  it('an event for a Junction user nobody connected is kept as unmatched; nothing is started', async () => {
    const event = { ...stack.sandbox.historicalEvent('carol', 'body', day(-30), day(-1)) };
    const delivered = await post(stack.sandbox.sign(event));
    expect(delivered.body).toMatchObject({ status: 'unmatched' });
  });
});
