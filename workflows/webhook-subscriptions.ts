// `keepWebhookSubscriptions`: one run of the schedule `webhook-subscriptions:<provider>` (worker/
// subscription-schedules.ts): create the provider's missing webhook subscriptions for serve's callback
// and renew those about to expire. Startable by hand:
//   temporal workflow start --task-queue wearhouse --type keepWebhookSubscriptions \
//     --input '{"provider":"<name>","callbackUrl":"https://<serve host>/v1/webhooks/<name>"}'
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { EnsureSubscriptionsResult } from '../activities/webhook-subscriptions.ts';
import { isProviderName } from '../providers/catalog.ts';
import { InvalidInputError } from './inputs.ts';
import { parseOrFail, retry } from './shared.ts';

const { ensureWebhookSubscriptions } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  // Bounded: the next scheduled run tries again; a run must not pile up behind a provider outage.
  retry: { ...retry, maximumAttempts: 10 },
});

export interface KeepSubscriptionsInput {
  provider: string;
  callbackUrl: string;
  /** Renew what expires within this many hours (default 72: several scheduled runs' margin). */
  renewWithinHours?: number;
}

export const DEFAULT_RENEW_WITHIN_HOURS = 72;

export async function keepWebhookSubscriptions(
  input: KeepSubscriptionsInput,
): Promise<EnsureSubscriptionsResult> {
  const parsed = parseOrFail(() => {
    if (typeof input?.provider !== 'string' || !isProviderName(input.provider)) {
      throw new InvalidInputError(`unknown provider ${JSON.stringify(input?.provider)}`);
    }
    if (typeof input.callbackUrl !== 'string' || !/^https?:\/\/\S+$/.test(input.callbackUrl)) {
      throw new InvalidInputError('callbackUrl must be an http(s) URL');
    }
    const hours = input.renewWithinHours ?? DEFAULT_RENEW_WITHIN_HOURS;
    if (!Number.isFinite(hours) || hours <= 0) throw new InvalidInputError('renewWithinHours must be > 0');
    return { provider: input.provider, callbackUrl: input.callbackUrl, renewWithinHours: hours };
  });
  return ensureWebhookSubscriptions(parsed);
}
