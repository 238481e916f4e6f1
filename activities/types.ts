// Activity inputs and results: small, JSON-safe (ISO strings, no Dates), never provider payloads.
import type { RunCounts } from './counts.ts';

export interface ConnectionRef {
  provider: string;
  userId: string;
}

export interface PlanBackfillInput extends ConnectionRef {
  kinds: string[];
  start: string;
  end: string;
}

export interface WindowSpec {
  kind: string;
  start: string;
  end: string;
  /** Final windows are recorded in the coverage ledger and never fetched again by a backfill. */
  final: boolean;
}

/**
 * Why a window is fetched. `backfill` and `read` (a read-API request's missing days, fetched ahead
 * of backfills: docs/read-api.md) record coverage; `incremental` re-reads never do.
 */
export type FetchPurpose = 'backfill' | 'incremental' | 'read';

export interface SyncWindowInput extends ConnectionRef {
  window: WindowSpec;
  purpose: FetchPurpose;
}

export type WindowResult = RunCounts & { kind: string };

export type { RunCounts };

/** The logging activities need (pino's Logger fits); declared here so activities import nothing from worker/. */
export interface ActivityLogger {
  child(bindings: Record<string, unknown>): ActivityLogger;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
