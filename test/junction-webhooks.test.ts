// Junction webhook verification (svix) and parsing, with events the sandbox signs: a good delivery
// verifies and becomes an upsert or a fetch; a forged, tampered, stale or unsigned one is rejected.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookRejected } from '../providers/errors.ts';
import { type JunctionSandbox, startJunctionSandbox } from '../providers/junction/sandbox/index.ts';
import { createJunctionWebhooks } from '../providers/junction/webhooks.ts';

let sandbox: JunctionSandbox;
const NOW = new Date('2025-03-20T12:00:00Z');

beforeAll(async () => {
  sandbox = await startJunctionSandbox({ now: NOW, historyDays: 60 });
});
afterAll(() => sandbox?.close());

function rejection(run: () => void): WebhookRejected {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookRejected) return error;
    throw error;
  }
  throw new Error('expected the delivery to be rejected');
}

describe('Junction webhooks', () => {
  it('verifies a signed daily.data.sleep.updated and turns it into an upsert of its document', () => {
    const hooks = createJunctionWebhooks(sandbox.webhookSecret);
    const doc = sandbox.revise('alice', 'sleep', '2025-03-10');
    const delivery = sandbox.sign(sandbox.dailyEvent('alice', 'sleep', 'updated', doc));
    const now = new Date();
    hooks.verify(delivery.headers, Buffer.from(delivery.body), now);
    expect(hooks.parse(Buffer.from(delivery.body))).toEqual([
      { type: 'upsert', externalUserId: sandbox.userId('alice'), kind: 'sleep', documents: [doc] },
    ]);
  });

  it('turns historical.data.<kind>.created into a backfill of the whole days it names', () => {
    const hooks = createJunctionWebhooks(sandbox.webhookSecret);
    const event = sandbox.historicalEvent(
      'bob',
      'workouts',
      new Date('2025-01-05T13:00:00Z'),
      new Date('2025-02-04T23:59:59Z'),
    );
    const delivery = sandbox.sign(event);
    hooks.verify(delivery.headers, Buffer.from(delivery.body), new Date());
    expect(hooks.parse(Buffer.from(delivery.body))).toEqual([
      {
        type: 'backfill',
        externalUserId: sandbox.userId('bob'),
        kind: 'workouts',
        start: new Date('2025-01-05T00:00:00Z'),
        end: new Date('2025-02-05T00:00:00Z'),
      },
    ]);
  });

  it('acknowledges events it does not act on with no work', () => {
    const hooks = createJunctionWebhooks(sandbox.webhookSecret);
    const body = Buffer.from(
      JSON.stringify({ event_type: 'provider.connection.created', user_id: 'x', data: {} }),
    );
    expect(hooks.parse(body)).toEqual([]);
  });

  it('rejects a forged signature, a tampered body, a stale timestamp and missing headers', () => {
    const hooks = createJunctionWebhooks(sandbox.webhookSecret);
    const event = sandbox.dailyEvent('carol', 'body', 'created', {
      id: 'x',
      calendar_date: '2025-03-01',
    });
    const forged = sandbox.sign(event, {
      secret: `whsec_${Buffer.from('not the secret, 32 bytes long!!').toString('base64')}`,
    });
    expect(
      rejection(() => hooks.verify(forged.headers, Buffer.from(forged.body), new Date())).message,
    ).toMatch(/signature/i);
    const good = sandbox.sign(event);
    const tampered = Buffer.from(good.body.replace('2025-03-01', '2025-03-02'));
    expect(rejection(() => hooks.verify(good.headers, tampered, new Date())).status).toBe(401);
    const stale = sandbox.sign(event, { at: new Date(Date.now() - 10 * 60_000) });
    expect(rejection(() => hooks.verify(stale.headers, Buffer.from(stale.body), new Date())).message).toMatch(
      /tolerance/,
    );
    const { 'svix-signature': _dropped, ...unsigned } = good.headers;
    expect(rejection(() => hooks.verify(unsigned, Buffer.from(good.body), new Date())).message).toMatch(
      /svix-signature/,
    );
    // The good one still verifies: the rejections were about the deliveries, not the receiver.
    hooks.verify(good.headers, Buffer.from(good.body), new Date());
  });

  it('delivers a signed event to a URL: the receiver gets exactly the signed bytes', async () => {
    const received: { headers: Record<string, string | undefined>; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          headers: req.headers as Record<string, string | undefined>,
          body: Buffer.concat(chunks),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const workoutDay = ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04'].find(
        (d) => sandbox.documents('bob', 'workouts', d).length > 0,
      );
      if (!workoutDay) throw new Error('bob has no workout in early March');
      const doc = sandbox.revise('bob', 'workouts', workoutDay);
      const delivery = sandbox.sign(sandbox.dailyEvent('bob', 'workouts', 'created', doc));
      expect(await sandbox.deliver(`http://127.0.0.1:${port}/v1/webhooks/junction`, delivery)).toBe(204);
      const [got] = received;
      if (!got) throw new Error('nothing received');
      const hooks = createJunctionWebhooks(sandbox.webhookSecret);
      hooks.verify(got.headers, got.body, new Date());
      expect(hooks.parse(got.body)).toEqual([
        { type: 'upsert', externalUserId: sandbox.userId('bob'), kind: 'workouts', documents: [doc] },
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('rejects everything while JUNCTION_WEBHOOK_SECRET is unset', () => {
    const delivery = sandbox.sign(sandbox.historicalEvent('bob', 'sleep', NOW, NOW));
    const hooks = createJunctionWebhooks(undefined);
    expect(
      rejection(() => hooks.verify(delivery.headers, Buffer.from(delivery.body), new Date())).message,
    ).toMatch(/JUNCTION_WEBHOOK_SECRET/);
  });
});
