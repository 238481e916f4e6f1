// `wearhouse connect <provider> --user U --<its id flag> ID` for API-key providers: no tokens, the
// user's id at the provider, checked against the provider's API before anything is stored.
import type { Client } from '@temporalio/client';
import { ProviderError } from '../providers/errors.ts';
import { moduleOf } from '../providers/modules.ts';
import { createSharedBudget } from '../providers/rate-budget.ts';
import type { ProviderDescriptor } from '../providers/types.ts';
import { saveExternalUser } from '../store/connections.ts';
import type { Sql } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import { InvalidInputError, parseSyncInput } from '../workflows/inputs.ts';
import { scheduleAndBackfill } from './operations.ts';

/** The flags that may name the external id: the provider's own (--junction-user-id…), then the generic one. */
export function externalUserIdFlags(descriptor: ProviderDescriptor): string[] {
  return [...(descriptor.externalUserIdFlag ? [descriptor.externalUserIdFlag] : []), 'external-user-id'];
}

export async function connectExternalUser(
  deps: { sql: Sql; client: Client; config: Config },
  options: { provider: string; userId: string; externalUserId: string; initialBackfillDays: number },
) {
  const { userId, provider } = parseSyncInput({ userId: options.userId, provider: options.provider });
  const module = moduleOf(provider);
  if (!module) throw new InvalidInputError(`unknown provider "${provider}"`);
  const config = deps.config as unknown as Record<string, unknown>;
  const runtime = module.createRuntime(config, {
    budget: createSharedBudget(deps.sql, provider, module.budgetFrom(config).perMinute),
    logger: { debug() {}, info() {}, warn() {} },
  });
  if (!runtime.validateExternalUser) {
    throw new InvalidInputError(
      `${module.descriptor.displayName} connections do not take an external user id`,
    );
  }
  try {
    await runtime.validateExternalUser(options.externalUserId, {
      apiCalls: 0,
      rateLimited: 0,
      throttleWaitMs: 0,
    });
  } catch (error) {
    // A bad id or a refused key is the caller's to fix: said plainly, nothing stored.
    if (error instanceof ProviderError && !error.retryable) throw new InvalidInputError(error.message);
    throw error;
  }
  try {
    await saveExternalUser(deps.sql, provider, userId, options.externalUserId);
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new InvalidInputError(
        `${module.descriptor.displayName} user ${options.externalUserId} is already connected to another local user`,
      );
    }
    throw error;
  }
  return scheduleAndBackfill(deps, { provider, userId, initialBackfillDays: options.initialBackfillDays });
}
