// Oura's webhook subscriptions (the spec's "Webhook Subscription Routes", /v2/webhook/subscription):
// Oura delivers a notification only to a subscription per (event_type, data_type), authenticated by
// the app's x-client-id / x-client-secret, and each subscription expires (`expiration_time`). `ensure`
// lists them, creates what is missing for our callback (Oura first checks the callback with a GET
// challenge, which `wearhouse serve` answers), and renews what expires before the given instant. The
// Temporal schedule `webhook-subscriptions:oura` runs it (docs/oura.md).
import { z } from 'zod';
import { ProviderError } from '../errors.ts';
import { type HttpContext, requestJson } from '../http.ts';
import { describeIssues } from '../issues.ts';
import type { RequestStats, SubscriptionOutcome, WebhookSubscriptions } from '../types.ts';
import { OURA_KINDS } from './descriptor.ts';

const PATH = '/v2/webhook/subscription';
/** Every change to a document: created, updated, deleted. */
export const OURA_WEBHOOK_OPERATIONS = ['create', 'update', 'delete'] as const;

const subscriptionSchema = z.looseObject({
  id: z.string().min(1),
  callback_url: z.string(),
  event_type: z.string(),
  data_type: z.string(),
  expiration_time: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a date-time'),
});
type Subscription = z.output<typeof subscriptionSchema>;

export interface OuraSubscriptionOptions {
  ctx: HttpContext;
  apiUrl: string;
  clientId?: string;
  clientSecret?: string;
  verificationToken?: string;
}

export function createOuraSubscriptions(options: OuraSubscriptionOptions): WebhookSubscriptions {
  const base = options.apiUrl.replace(/\/+$/, '');
  const { clientId, clientSecret, verificationToken } = options;
  const configured = Boolean(clientId && clientSecret && verificationToken);
  const headers = () => ({
    'x-client-id': clientId ?? '',
    'x-client-secret': clientSecret ?? '',
    accept: 'application/json',
    'content-type': 'application/json',
  });
  const parse = (body: unknown, what: string): Subscription => {
    const parsed = subscriptionSchema.safeParse(body);
    if (!parsed.success) {
      throw new ProviderError(`Oura ${what}: ${describeIssues(parsed.error)}`, 'client_error');
    }
    return parsed.data;
  };

  async function list(stats: RequestStats): Promise<Subscription[]> {
    const body = await requestJson(
      options.ctx,
      { method: 'GET', url: new URL(base + PATH), endpoint: PATH, headers: headers() },
      stats,
    );
    if (!Array.isArray(body)) throw new ProviderError('Oura subscriptions: not a list', 'client_error');
    return body.map((item) => parse(item, 'subscription'));
  }

  return {
    configured,
    async ensure(callbackUrl, renewBefore, stats): Promise<SubscriptionOutcome> {
      if (!configured) {
        throw new ProviderError(
          'Oura webhook subscriptions need OURA_CLIENT_ID, OURA_CLIENT_SECRET and OURA_WEBHOOK_VERIFICATION_TOKEN',
          'invalid_input',
        );
      }
      const outcome: SubscriptionOutcome = { kept: 0, created: 0, renewed: 0, earliestExpiry: null };
      const expiries: number[] = [];
      const existing = (await list(stats)).filter((s) => s.callback_url === callbackUrl);
      for (const dataType of OURA_KINDS) {
        for (const eventType of OURA_WEBHOOK_OPERATIONS) {
          const found = existing.find((s) => s.data_type === dataType && s.event_type === eventType);
          if (!found) {
            const created = parse(
              await requestJson(
                options.ctx,
                {
                  method: 'POST',
                  url: new URL(base + PATH),
                  endpoint: PATH,
                  headers: headers(),
                  body: JSON.stringify({
                    callback_url: callbackUrl,
                    verification_token: verificationToken,
                    event_type: eventType,
                    data_type: dataType,
                  }),
                },
                stats,
              ),
              'created subscription',
            );
            outcome.created++;
            expiries.push(Date.parse(created.expiration_time));
          } else if (Date.parse(found.expiration_time) < renewBefore.getTime()) {
            const path = `${PATH}/renew/${encodeURIComponent(found.id)}`;
            const renewed = parse(
              await requestJson(
                options.ctx,
                {
                  method: 'PUT',
                  url: new URL(base + path),
                  endpoint: `${PATH}/renew/{id}`,
                  headers: headers(),
                },
                stats,
              ),
              'renewed subscription',
            );
            outcome.renewed++;
            expiries.push(Date.parse(renewed.expiration_time));
          } else {
            outcome.kept++;
            expiries.push(Date.parse(found.expiration_time));
          }
        }
      }
      if (expiries.length) outcome.earliestExpiry = new Date(Math.min(...expiries)).toISOString();
      return outcome;
    },
  };
}
