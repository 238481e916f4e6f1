// The activity factory: every activity gets its dependencies here, nothing reaches for globals.
import type { ProviderApi } from '../providers/types.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';
import type { Logger } from '../worker/logger.ts';
import { createPlanActivities } from './plan.ts';
import { createSyncWindow, type SyncWindowDeps } from './sync-window.ts';
import { createTokenManager } from './tokens.ts';

export interface ActivityDeps {
  sql: Sql;
  providers: ReadonlyMap<string, ProviderApi>;
  cipher: TokenCipher;
  logger: Logger;
  rescoreLookbackDays?: number;
  /** Pauses the connection's sync schedule when its grant is revoked. */
  onReauthRequired?: (provider: string, userId: string, reason: string) => Promise<void>;
  onPageStored?: SyncWindowDeps['onPageStored'];
}

export function createActivities(deps: ActivityDeps) {
  const tokens = createTokenManager({
    sql: deps.sql,
    cipher: deps.cipher,
    onReauthRequired: deps.onReauthRequired,
  });
  return {
    ...createPlanActivities({ sql: deps.sql, rescoreLookbackDays: deps.rescoreLookbackDays }),
    syncWindow: createSyncWindow({
      sql: deps.sql,
      providers: deps.providers,
      tokens,
      logger: deps.logger,
      onPageStored: deps.onPageStored,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
