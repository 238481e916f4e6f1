// Oura's webhooks (the spec's "Webhook Subscription Routes"): the subscription check answers a GET
// with the challenge when the verification token matches; each POST is signed with
// x-oura-signature = uppercase hex HMAC-SHA256(client secret, x-oura-timestamp + raw body). A
// notification names a document (data_type, object_id), not its content, so it becomes a targeted
// fetch of that kind around the event time (a delete needs no fetch).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookRejected } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import type { WebhookEvent, WebhookRuntime } from '../types.ts';
import { OURA_KINDS, OURA_OPT_IN_KINDS } from './descriptor.ts';
import { webhookEventSchema } from './schemas.ts';

const DAY_MS = 86_400_000;
/** A signed notification older (or newer) than this is refused: a replayed capture cannot be reused. */
export const OURA_WEBHOOK_TOLERANCE_MS = 10 * 60_000;
const KINDS: readonly string[] = [...OURA_KINDS, ...OURA_OPT_IN_KINDS];

export function ouraSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(timestamp).update(rawBody).digest('hex').toUpperCase();
}

/** The subscription check: `{challenge}` when the verification token matches, otherwise a rejection. */
export function answerChallenge(
  query: URLSearchParams,
  verificationToken: string | undefined,
): { challenge: string } {
  const given = query.get('verification_token') ?? '';
  const challenge = query.get('challenge');
  if (!verificationToken) throw new WebhookRejected('OURA_WEBHOOK_VERIFICATION_TOKEN is not configured');
  if (!challenge || !sameText(given, verificationToken))
    throw new WebhookRejected('verification token mismatch');
  return { challenge };
}

export function createOuraWebhooks(
  clientSecret: string | undefined,
  verificationToken?: string,
): WebhookRuntime {
  return {
    challenge: (query) => answerChallenge(query, verificationToken),
    verify(headers, rawBody, now) {
      if (!clientSecret) throw new WebhookRejected('OURA_CLIENT_SECRET is not configured');
      const signature = headers['x-oura-signature'];
      const timestamp = headers['x-oura-timestamp'];
      if (!signature || !timestamp) throw new WebhookRejected('missing x-oura-signature or x-oura-timestamp');
      if (!/^\d{1,13}$/.test(timestamp)) throw new WebhookRejected('x-oura-timestamp is not a Unix time');
      // Seconds per the spec's example; milliseconds tolerated.
      const sentMs = timestamp.length > 11 ? Number(timestamp) : Number(timestamp) * 1000;
      if (Math.abs(now.getTime() - sentMs) > OURA_WEBHOOK_TOLERANCE_MS) {
        throw new WebhookRejected('x-oura-timestamp is outside the accepted window');
      }
      if (!sameText(signature, ouraSignature(clientSecret, timestamp, rawBody))) {
        throw new WebhookRejected('x-oura-signature does not match');
      }
    },
    parse(rawBody) {
      return parseOuraNotification(rawBody);
    },
  };
}

/** One notification → what to do: a delete, or a fetch of its kind around the event; other kinds → nothing. */
export function parseOuraNotification(rawBody: Buffer): WebhookEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejected('body is not JSON');
  }
  const parsed = webhookEventSchema.safeParse(json);
  if (!parsed.success)
    throw new WebhookRejected(`not an Oura notification (${describeIssues(parsed.error)})`);
  const event = parsed.data;
  if (!KINDS.includes(event.data_type)) return [];
  const base = { externalUserId: event.user_id, kind: event.data_type };
  if (event.event_type === 'delete') return [{ type: 'delete', ...base, sourceId: event.object_id }];
  // The document's day is not in the notification: a late sync or an edit concerns recent days, so the
  // fetch covers the two days before the event's UTC day through its end (one request per kind).
  const at = event.event_time ? Date.parse(event.event_time) : Date.now();
  const day = Math.floor(at / DAY_MS) * DAY_MS;
  return [{ type: 'fetch', ...base, start: new Date(day - 2 * DAY_MS), end: new Date(day + DAY_MS) }];
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
