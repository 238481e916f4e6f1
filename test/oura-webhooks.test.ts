// Oura webhooks: a notification is accepted only with x-oura-signature = uppercase hex
// HMAC-SHA256(client secret, x-oura-timestamp + raw body) and a fresh timestamp; the subscription
// check echoes the challenge only for the configured verification token; notifications become a
// targeted fetch of their kind, or a delete.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookRejected } from '../providers/errors.ts';
import { answerChallenge, createOuraWebhooks, parseOuraNotification } from '../providers/oura/webhooks.ts';

const SECRET = 'oura-client-secret';
const NOW = new Date('2026-03-02T08:00:30Z');
const body = Buffer.from(
  JSON.stringify({
    event_type: 'update',
    data_type: 'daily_sleep',
    object_id: 'ds-1',
    event_time: '2026-03-02T08:00:00+00:00',
    user_id: 'oura-user-1',
  }),
);
const timestamp = String(Math.floor(NOW.getTime() / 1000) - 30);
const sign = (raw: Buffer, ts = timestamp, secret = SECRET) =>
  createHmac('sha256', secret)
    .update(ts + raw.toString('utf8'))
    .digest('hex')
    .toUpperCase();

describe('verify', () => {
  const webhooks = createOuraWebhooks(SECRET);
  const headers = (signature: string, ts = timestamp) => ({
    'x-oura-signature': signature,
    'x-oura-timestamp': ts,
  });

  it('accepts the signature Oura computes over the exact bytes', () => {
    expect(() => webhooks.verify(headers(sign(body)), body, NOW)).not.toThrow();
  });

  it.each([
    ['a lowercase signature', () => headers(sign(body).toLowerCase())],
    ['another secret', () => headers(sign(body, timestamp, 'other'))],
    ['a body changed by one byte', () => headers(sign(Buffer.from(`${body.toString()} `)))],
    [
      'a stale timestamp',
      () => headers(sign(body, String(Number(timestamp) - 3600)), String(Number(timestamp) - 3600)),
    ],
    ['no signature', () => ({ 'x-oura-timestamp': timestamp })],
  ])('rejects %s', (_name, make) => {
    expect(() => webhooks.verify(make(), body, NOW)).toThrow(WebhookRejected);
  });

  it('rejects everything when no client secret is configured', () => {
    expect(() => createOuraWebhooks(undefined).verify(headers(sign(body)), body, NOW)).toThrow(
      /OURA_CLIENT_SECRET/,
    );
  });
});

describe('the subscription check', () => {
  it('echoes the challenge for the configured token only', () => {
    const query = new URLSearchParams({ verification_token: 'tok-123', challenge: 'abc' });
    expect(answerChallenge(query, 'tok-123')).toEqual({ challenge: 'abc' });
    expect(() => answerChallenge(query, 'other')).toThrow(WebhookRejected);
    expect(() => answerChallenge(query, undefined)).toThrow(/OURA_WEBHOOK_VERIFICATION_TOKEN/);
  });
});

describe('parse', () => {
  it('an update becomes a fetch of its kind over the days around the event', () => {
    expect(parseOuraNotification(body)).toEqual([
      {
        type: 'fetch',
        externalUserId: 'oura-user-1',
        kind: 'daily_sleep',
        start: new Date('2026-02-28T00:00:00Z'),
        end: new Date('2026-03-03T00:00:00Z'),
      },
    ]);
  });

  it('a delete names the document; kinds not pulled are ignored; garbage is rejected', () => {
    const del = Buffer.from(
      JSON.stringify({ event_type: 'delete', data_type: 'workout', object_id: 'w-9', user_id: 'u' }),
    );
    expect(parseOuraNotification(del)).toEqual([
      { type: 'delete', externalUserId: 'u', kind: 'workout', sourceId: 'w-9' },
    ]);
    const tag = Buffer.from(
      JSON.stringify({ event_type: 'create', data_type: 'tag', object_id: 't', user_id: 'u' }),
    );
    expect(parseOuraNotification(tag)).toEqual([]);
    expect(() => parseOuraNotification(Buffer.from('{"event_type":"explode"}'))).toThrow(WebhookRejected);
    expect(() => parseOuraNotification(Buffer.from('not json'))).toThrow(WebhookRejected);
  });
});
