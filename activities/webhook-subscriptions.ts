// Keeping a provider's webhook subscriptions alive (providers/types.ts WebhookSubscriptions): list,
// create what is missing for the callback, renew what expires soon. App-level calls (no user), through
// the provider's shared budget like every other request. Holds no transaction.
import { Context } from '@temporalio/activity';
import { ProviderError } from '../providers/errors.ts';
import type { ProviderRuntime, SubscriptionOutcome } from '../providers/types.ts';
import { toApplicationFailure } from './failures.ts';
import type { ActivityLogger } from './types.ts';

export interface EnsureSubscriptionsInput {
  provider: string;
  /** `<WEARHOUSE_PUBLIC_URL>/v1/webhooks/<provider>`, where `wearhouse serve` answers. */
  callbackUrl: string;
  /** Subscriptions expiring within this many hours are renewed. */
  renewWithinHours: number;
}

export interface EnsureSubscriptionsResult extends SubscriptionOutcome {
  apiCalls: number;
}

export function createSubscriptionActivities(deps: {
  providers: ReadonlyMap<string, ProviderRuntime>;
  logger: ActivityLogger;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    async ensureWebhookSubscriptions(input: EnsureSubscriptionsInput): Promise<EnsureSubscriptionsResult> {
      const stats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
      try {
        const subscriptions = deps.providers.get(input.provider)?.webhooks?.subscriptions;
        if (!subscriptions) {
          throw new ProviderError(`${input.provider} has no webhook subscriptions to keep`, 'invalid_input');
        }
        const renewBefore = new Date(now().getTime() + input.renewWithinHours * 3_600_000);
        const outcome = await subscriptions.ensure(input.callbackUrl, renewBefore, stats);
        deps.logger.info(
          { provider: input.provider, ...outcome, apiCalls: stats.apiCalls },
          'webhook subscriptions kept',
        );
        return { ...outcome, apiCalls: stats.apiCalls };
      } catch (error) {
        throw toApplicationFailure(error, Context.current().info.attempt);
      }
    },
  };
}
