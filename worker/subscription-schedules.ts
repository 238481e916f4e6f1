// The Temporal Schedule `webhook-subscriptions:<provider>` that keeps a provider's webhook
// subscriptions alive (workflows/webhook-subscriptions.ts), for every provider whose runtime has
// subscriptions and whose app is configured for them. The worker ensures it at start; the callback is
// `<WEARHOUSE_PUBLIC_URL>/v1/webhooks/<provider>`, where `wearhouse serve` answers the provider's check.
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ProviderRuntime } from '../providers/types.ts';
import { WEARHOUSE_PROVIDER } from '../workflows/search-attributes.ts';
import type { KeepSubscriptionsInput } from '../workflows/webhook-subscriptions.ts';
import type { Logger } from './logger.ts';

export const subscriptionScheduleId = (provider: string) => `webhook-subscriptions:${provider}`;
/** Twice a day: with a 72-hour renewal margin, several runs may fail before anything expires. */
export const SUBSCRIPTION_INTERVAL = '12h';

export const webhookCallbackUrl = (publicUrl: string, provider: string) =>
  `${publicUrl.replace(/\/+$/, '')}/v1/webhooks/${provider}`;

/** Creates or updates the schedule of every provider that keeps subscriptions; returns their ids. */
export async function ensureSubscriptionSchedules(
  client: Client,
  options: {
    providers: ReadonlyMap<string, ProviderRuntime>;
    publicUrl: string;
    taskQueue: string;
    logger: Logger;
  },
): Promise<string[]> {
  const ids: string[] = [];
  for (const [provider, runtime] of options.providers) {
    if (!runtime.webhooks?.subscriptions?.configured) continue;
    const id = subscriptionScheduleId(provider);
    const input: KeepSubscriptionsInput = {
      provider,
      callbackUrl: webhookCallbackUrl(options.publicUrl, provider),
    };
    const action = {
      type: 'startWorkflow' as const,
      workflowType: 'keepWebhookSubscriptions',
      workflowId: id,
      taskQueue: options.taskQueue,
      args: [input],
      staticSummary: `Keep ${provider} webhook subscriptions for ${input.callbackUrl}`,
      typedSearchAttributes: [{ key: WEARHOUSE_PROVIDER, value: provider }],
    };
    const spec = { intervals: [{ every: SUBSCRIPTION_INTERVAL }] };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h' };
    try {
      await client.schedule.create({
        scheduleId: id,
        spec,
        action,
        policies,
        // Run once now: a fresh deployment gets its subscriptions without waiting 12 hours.
        state: { triggerImmediately: true, note: 'Creates and renews webhook subscriptions' },
      });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(id).update((previous) => ({ ...previous, spec, action, policies }));
    }
    options.logger.info(
      { provider, scheduleId: id, callbackUrl: input.callbackUrl },
      'webhook subscription schedule',
    );
    ids.push(id);
  }
  return ids;
}
