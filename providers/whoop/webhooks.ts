// WHOOP's webhooks (v2): X-WHOOP-Signature is base64(HMAC-SHA256(client secret, timestamp + raw
// body)) with the timestamp (ms since the epoch) in X-WHOOP-Signature-Timestamp. A body is
// {user_id, id, type, trace_id}, type "<sleep|workout|recovery>.<updated|deleted>". WHOOP sends the
// record's id, not its time: an update becomes a fetch of that kind over the rescore lookback (the
// record is recent by nature); a deletion of a sleep or workout soft-deletes it by id. A recovery's
// id is its sleep's, while recoveries are stored by cycle, so its deletion is a re-fetch too.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { WebhookRejected } from '../errors.ts';
import type { WebhookEvent, WebhookRuntime } from '../types.ts';

export const WHOOP_SIGNATURE_HEADER = 'x-whoop-signature';
export const WHOOP_TIMESTAMP_HEADER = 'x-whoop-signature-timestamp';

const DAY_MS = 86_400_000;
/** Deliveries signed further than this from now are refused (replays of captured requests). */
export const WHOOP_WEBHOOK_TOLERANCE_MS = 5 * 60_000;

const eventSchema = z.looseObject({
  user_id: z.union([z.number().int(), z.string().regex(/^\d+$/)]),
  id: z.union([z.string().min(1), z.number().int()]),
  type: z.string().regex(/^[a-z_]+\.[a-z_]+$/),
  trace_id: z.string().optional(),
});

export function signWhoopWebhook(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(timestamp).update(rawBody).digest('base64');
}

export interface WhoopWebhookOptions {
  clientSecret?: string;
  /** How far back an update may reach: the fetch span of an `*.updated` event. */
  lookbackDays: number;
  /** The clock fetch spans end at (parse has no `now` of its own). */
  now?: () => Date;
}

export function createWhoopWebhooks(options: WhoopWebhookOptions): WebhookRuntime {
  const clock = options.now ?? (() => new Date());
  return {
    verify(headers, rawBody, now) {
      if (!options.clientSecret) throw new WebhookRejected('WHOOP_CLIENT_SECRET is not configured');
      const signature = headers[WHOOP_SIGNATURE_HEADER];
      const timestamp = headers[WHOOP_TIMESTAMP_HEADER];
      if (!signature || !timestamp) throw new WebhookRejected('signature headers missing');
      if (!/^\d{1,16}$/.test(timestamp)) throw new WebhookRejected('timestamp is not epoch milliseconds');
      if (Math.abs(now.getTime() - Number(timestamp)) > WHOOP_WEBHOOK_TOLERANCE_MS) {
        throw new WebhookRejected('timestamp outside the accepted window');
      }
      const expected = Buffer.from(signWhoopWebhook(options.clientSecret, timestamp, rawBody));
      const given = Buffer.from(signature.trim());
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new WebhookRejected('signature does not match');
      }
    },

    parse(rawBody) {
      const now = clock();
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new Error('body is not JSON');
      }
      const parsed = eventSchema.safeParse(body);
      if (!parsed.success) {
        throw new Error(
          parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        );
      }
      const { user_id, id, type } = parsed.data;
      const externalUserId = String(user_id);
      const [kind, action] = type.split('.') as [string, string];
      const span = { start: new Date(now.getTime() - options.lookbackDays * DAY_MS), end: now };
      const fetch = (k: string): WebhookEvent => ({ type: 'fetch', externalUserId, kind: k, ...span });
      if (kind === 'sleep' || kind === 'workout') {
        if (action === 'deleted') return [{ type: 'delete', externalUserId, kind, sourceId: String(id) }];
        if (action === 'updated') return [fetch(kind)];
      }
      // A recovery borrows its cycle's times: fetch the cycle first, as a sync does.
      if (kind === 'recovery' && (action === 'updated' || action === 'deleted')) {
        return [fetch('cycle'), fetch('recovery')];
      }
      return [];
    },
  };
}
