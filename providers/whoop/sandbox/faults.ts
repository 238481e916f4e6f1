// Injected failures. Per-request faults come from a PRNG seeded by (seed, request number), so a test
// that replays the same request sequence sees the same faults; malformed records are decided per
// record, so the same record is broken on every page and every retry (a retry cannot "fix" it).

import { hash01, Rng } from './prng.ts';
import type { SandboxFaults, StoredRecord } from './types.ts';

export interface RequestFaultPlan {
  reset: boolean;
  timeout: boolean;
  storm429: boolean;
  /** Seconds a storm 429 asks the client to wait. */
  stormRetryAfter: number;
  serverError?: 500 | 502 | 503;
  /** Fraction of the body to keep when the body is truncated. */
  truncateAt?: number;
}

/** Every draw happens in a fixed order whatever the rates, so changing one rate does not reshuffle others. */
export function planFaults(seed: string, requestNo: number, f: SandboxFaults): RequestFaultPlan {
  const rng = new Rng(`${seed}|fault|${requestNo}`);
  const reset = rng.chance(f.connectionResetRate ?? 0);
  const timeout = rng.chance(f.timeoutRate ?? 0);
  const storm429 = rng.chance(f.rateLimitStormRate ?? 0);
  const stormRetryAfter = rng.int(1, 5);
  const serverError = rng.chance(f.serverErrorRate ?? 0);
  const status = rng.pick([500, 502, 503] as const);
  const truncate = rng.chance(f.truncatedBodyRate ?? 0);
  const truncateAt = rng.range(0.2, 0.8);
  return {
    reset,
    timeout,
    storm429,
    stormRetryAfter,
    serverError: serverError ? status : undefined,
    truncateAt: truncate ? truncateAt : undefined,
  };
}

export function isMalformed(seed: string, record: StoredRecord, rate: number | undefined): boolean {
  return (rate ?? 0) > 0 && hash01(`${seed}|malformed|${record.kind}|${record.id}`) < (rate ?? 0);
}

/** A copy of the record's body broken in one of several ways the spec's schema rejects. */
export function malformedBody(seed: string, record: StoredRecord): Record<string, unknown> {
  const body: Record<string, unknown> = structuredClone(record.body);
  const how = Math.floor(hash01(`${seed}|malformed-how|${record.kind}|${record.id}`) * 5);
  switch (how) {
    case 0: // a required field is missing
      delete body[record.kind === 'recovery' ? 'sleep_id' : 'created_at'];
      break;
    case 1: // wrong type and outside the enum
      body.score_state = 3;
      break;
    case 2:
      body.user_id = `user-${String(body.user_id)}`;
      break;
    case 3: // an id of the wrong type
      if (record.kind === 'recovery') body.cycle_id = String(body.cycle_id);
      else body.id = record.kind === 'cycle' ? `c${String(body.id)}` : 12345;
      break;
    default:
      body.updated_at = null;
  }
  return body;
}

/** Lets the client read a syntactically broken JSON body: cut at a fraction, never empty, never whole. */
export function truncate(json: string, keep: number): string {
  const at = Math.min(json.length - 1, Math.max(1, Math.floor(json.length * keep)));
  return json.slice(0, at);
}
