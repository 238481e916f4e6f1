// A generated record before the clock decides whether it exists yet and whether it is scored.
// Generation is clock-free (so extending history later reproduces the same records); `finalize` applies
// the clock.

import type { WhoopKind } from './types.ts';

/** WHOOP drops the legacy v1 ids (v1_id, sport_id) on records after this date. */
export const V1_CUTOFF_MS = Date.parse('2025-09-01T00:00:00Z');

export interface RawRecord {
  kind: WhoopKind;
  id: string;
  tieKey: string;
  startMs: number;
  /** For cycles: the next cycle's start, served as `end` only once it has passed. */
  endMs: number;
  /** WHOOP knows the record from this instant on (after processing); before it, it is not served. */
  visibleMs: number;
  createdMs: number;
  updatedMs: number;
  unscorable: boolean;
  /**
   * The API body in the spec's key order. created_at, updated_at, end, score_state and score hold
   * placeholders that `finalize` overwrites (undefined values vanish when serialised).
   */
  body: Record<string, unknown>;
  score: Record<string, unknown>;
}

export const SCORE_PENDING_MS = 3 * 86_400_000;

export interface Finalized {
  body: Record<string, unknown>;
  pendingScore?: Record<string, unknown>;
}

/**
 * Applies the clock: unseen records are dropped (undefined), open cycles lose their end, records that
 * started within the last 3 days (and the open cycle) are PENDING_SCORE with their score held back.
 */
export function finalize(raw: RawRecord, nowMs: number): Finalized | undefined {
  if (raw.visibleMs > nowMs) return undefined;
  const body = { ...raw.body };
  const created = Math.min(raw.createdMs, nowMs);
  const open = raw.kind === 'cycle' && raw.endMs > nowMs;
  body.created_at = iso(created);
  body.updated_at = iso(open ? created : Math.max(created, Math.min(raw.updatedMs, nowMs)));
  if (raw.kind === 'cycle') body.end = open ? undefined : iso(raw.endMs);
  if (raw.unscorable) {
    body.score_state = 'UNSCORABLE';
    body.score = undefined;
    return { body };
  }
  if (open || raw.startMs >= nowMs - SCORE_PENDING_MS) {
    body.score_state = 'PENDING_SCORE';
    body.score = undefined;
    return { body, pendingScore: raw.score };
  }
  body.score_state = 'SCORED';
  body.score = raw.score;
  return { body };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
