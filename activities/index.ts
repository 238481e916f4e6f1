// The activity factory: every activity gets its dependencies here, nothing reaches for globals.
import { fileImporters } from '../providers/file-importers.ts';
import type { ProviderRuntime } from '../providers/types.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';
import { createCredentialSource } from './credentials.ts';
import { createImportFileActivities } from './import-file.ts';
import { createIngestActivities } from './ingest.ts';
import type { ActivityMetrics } from './metrics.ts';
import { createPlanActivities } from './plan.ts';
import { createReadFetchActivities } from './read-fetch.ts';
import { createSyncWindow } from './sync-window.ts';
import { createTokenManager, type RefreshOutcome } from './tokens.ts';
import type { ActivityLogger } from './types.ts';
import { createSubscriptionActivities } from './webhook-subscriptions.ts';

export type { ActivityMetrics, RefreshOutcome };

export interface ActivityDeps {
  sql: Sql;
  /** Every provider's runtime by name (providers/registry.ts builds them at worker start). */
  providers: ReadonlyMap<string, ProviderRuntime>;
  cipher: TokenCipher;
  logger: ActivityLogger;
  rescoreLookbackDays?: number;
  /** The clock planning reads "now" from; tests pin it to the sandbox's clock. */
  now?: () => Date;
  /** Pauses the connection's sync schedule when its grant is revoked. */
  onReauthRequired?: (provider: string, userId: string, reason: string) => Promise<void>;
  metrics?: ActivityMetrics;
  /** Top-level elements per committed batch of a file import (IMPORT_BATCH_ELEMENTS). */
  importBatchElements?: number;
}

export function createActivities(deps: ActivityDeps) {
  const tokens = createTokenManager({
    sql: deps.sql,
    cipher: deps.cipher,
    onReauthRequired: deps.onReauthRequired,
    onRefresh: deps.metrics?.tokenRefresh,
  });
  return {
    ...createPlanActivities({
      sql: deps.sql,
      rescoreLookbackDays: deps.rescoreLookbackDays,
      now: deps.now,
    }),
    ...createImportFileActivities({
      sql: deps.sql,
      importers: fileImporters,
      logger: deps.logger,
      batchElements: deps.importBatchElements,
    }),
    ...createIngestActivities({ sql: deps.sql, logger: deps.logger }),
    ...createReadFetchActivities({ sql: deps.sql }),
    ...createSubscriptionActivities({ providers: deps.providers, logger: deps.logger }),
    syncWindow: createSyncWindow({
      sql: deps.sql,
      providers: deps.providers,
      credentials: createCredentialSource({ sql: deps.sql, tokens }),
      logger: deps.logger,
      metrics: deps.metrics,
      onAccessDenied: deps.onReauthRequired,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
