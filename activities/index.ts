// The activity factory: every activity gets its dependencies here, nothing reaches for globals.
import type { ProviderApi } from '../providers/types.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';
import type { Logger } from '../worker/logger.ts';
import type { RunCounts } from './counts.ts';
import { createIngestActivities } from './ingest.ts';
import { createPlanActivities } from './plan.ts';
import { createSyncWindow } from './sync-window.ts';
import { createTokenManager, type RefreshOutcome } from './tokens.ts';

export type { RefreshOutcome };

/** What activities report for metrics (worker/metrics.ts implements it on Temporal's meter). */
export interface ActivityMetrics {
  /** Every batch of counts the run ledger gets: each stored page, a window's close, a failed attempt. */
  counts(event: { provider: string; kind: string; counts: Partial<RunCounts> }): void;
  /** A sync attempt failed with this class (the Temporal failure type). */
  failed(event: { provider: string; kind: string; errorClass: string }): void;
  tokenRefresh(event: { provider: string; outcome: RefreshOutcome }): void;
}

export interface ActivityDeps {
  sql: Sql;
  providers: ReadonlyMap<string, ProviderApi>;
  cipher: TokenCipher;
  logger: Logger;
  rescoreLookbackDays?: number;
  /** Pauses the connection's sync schedule when its grant is revoked. */
  onReauthRequired?: (provider: string, userId: string, reason: string) => Promise<void>;
  metrics?: ActivityMetrics;
}

export function createActivities(deps: ActivityDeps) {
  const tokens = createTokenManager({
    sql: deps.sql,
    cipher: deps.cipher,
    onReauthRequired: deps.onReauthRequired,
    onRefresh: deps.metrics?.tokenRefresh,
  });
  return {
    ...createPlanActivities({ sql: deps.sql, rescoreLookbackDays: deps.rescoreLookbackDays }),
    ...createIngestActivities({ sql: deps.sql, logger: deps.logger }),
    syncWindow: createSyncWindow({
      sql: deps.sql,
      providers: deps.providers,
      tokens,
      logger: deps.logger,
      metrics: deps.metrics,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
