// Junction's webhooks, Svix-signed (svix-id, svix-timestamp, svix-signature; secret whsec_… from
// JUNCTION_WEBHOOK_SECRET). Verification is the svix library's; parsing turns an event into what the
// receiver does: daily.data.<kind>.created|updated → store the document it carries (mapped like a
// pulled one, latest updated_at wins); historical.data.<kind>.created → backfill the range it names.
// Other events (connections, kinds wearhouse does not pull) are acknowledged and ignored.
import { Webhook, WebhookVerificationError } from 'svix';
import { ProviderError, WebhookRejected } from '../errors.ts';
import type { WebhookEvent, WebhookRuntime } from '../types.ts';
import { isJunctionSummaryKind } from './descriptor.ts';
import { describeIssues } from './mapping.ts';
import { dailyEventSchema, historicalEventSchema, webhookEnvelopeSchema } from './schemas.ts';

/** Svix's own tolerance: a delivery older or newer than this is a replay or a wrong clock. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export function createJunctionWebhooks(secret: string | undefined): WebhookRuntime {
  const verifier = secret ? new Webhook(secret) : undefined;
  return {
    verify(headers, rawBody, now) {
      if (!verifier)
        throw new WebhookRejected('Junction webhooks are off: JUNCTION_WEBHOOK_SECRET is not set');
      const header = (name: string) => {
        const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
        return entry?.[1];
      };
      const id = header('svix-id');
      const timestamp = header('svix-timestamp');
      const signature = header('svix-signature');
      if (!id || !timestamp || !signature) {
        throw new WebhookRejected(
          'Junction webhook: svix-id, svix-timestamp and svix-signature are required',
        );
      }
      // The caller's clock (the library checks its own as well): stale or future deliveries are replays.
      const sentMs = Number(timestamp) * 1000;
      if (!Number.isFinite(sentMs) || Math.abs(now.getTime() - sentMs) > WEBHOOK_TOLERANCE_MS) {
        throw new WebhookRejected('Junction webhook: svix-timestamp is outside the 5-minute tolerance');
      }
      try {
        verifier.verify(rawBody.toString('utf8'), {
          'svix-id': id,
          'svix-timestamp': timestamp,
          'svix-signature': signature,
        });
      } catch (error) {
        if (error instanceof WebhookVerificationError) {
          throw new WebhookRejected(`Junction webhook: ${error.message}`);
        }
        throw error;
      }
    },

    parse(rawBody) {
      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new ProviderError('Junction webhook: the body is not JSON', 'invalid_input');
      }
      const envelope = webhookEnvelopeSchema.safeParse(json);
      if (!envelope.success) {
        throw new ProviderError(`Junction webhook: ${describeIssues(envelope.error)}`, 'invalid_input');
      }
      const [scope, data, kind] = envelope.data.event_type.split('.');
      if (scope === 'daily' && data === 'data' && kind && isJunctionSummaryKind(kind)) {
        const event = dailyEventSchema.safeParse(json);
        if (!event.success) {
          throw new ProviderError(
            `Junction ${envelope.data.event_type}: ${describeIssues(event.error)}`,
            'invalid_input',
          );
        }
        // The document is validated by the same mapping as pulled ones: a bad one is quarantined.
        return [{ type: 'upsert', externalUserId: event.data.user_id, kind, documents: [event.data.data] }];
      }
      if (scope === 'historical' && data === 'data' && kind && isJunctionSummaryKind(kind)) {
        const event = historicalEventSchema.safeParse(json);
        if (!event.success) {
          throw new ProviderError(
            `Junction ${envelope.data.event_type}: ${describeIssues(event.error)}`,
            'invalid_input',
          );
        }
        // Junction's history for the range is complete now: a backfill of it, through the coverage
        // ledger (windows sized to bound a response; covered ones are not fetched again).
        return [
          { type: 'backfill', externalUserId: event.data.user_id, kind, ...historicalSpan(event.data.data) },
        ];
      }
      return [] as WebhookEvent[];
    },
  };
}

/**
 * The whole UTC days a historical pull names: its start_date's day through its (inclusive)
 * end_date's day, as [start, end). Whole days keep the backfill's windows aligned with the ledger's.
 */
export function historicalSpan(data: { start_date: string; end_date: string }): { start: Date; end: Date } {
  const at = (value: string) => Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`);
  const start = Math.floor(at(data.start_date) / DAY_MS) * DAY_MS;
  const end = (Math.floor(at(data.end_date) / DAY_MS) + 1) * DAY_MS;
  return { start: new Date(start), end: new Date(Math.max(end, start + DAY_MS)) };
}
