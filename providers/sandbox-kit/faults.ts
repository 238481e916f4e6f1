// Injected failures every sandbox offers. Per-request faults come from a PRNG seeded by (seed, request
// number), so a test that replays the same request sequence sees the same faults. Which record is
// malformed, and how, is the provider's own business (its schemas differ).
import { Rng } from './prng.ts';

export interface SandboxFaults {
  /** 0..1 chance a data request returns 500/502/503. */
  serverErrorRate?: number;
  /** Added latency per data request. */
  latencyMs?: number;
  /** 0..1 chance a request hangs (never answers until the client closes the socket, or 60s pass). */
  timeoutRate?: number;
  /** 0..1 chance a record is served malformed; decided per record (same record, same outcome). */
  malformedRecordRate?: number;
  /** 0..1 chance a 200 JSON body is cut off mid-way. */
  truncatedBodyRate?: number;
  /** 0..1 chance the socket is destroyed without a response. */
  connectionResetRate?: number;
  /** 0..1 chance of a 429 regardless of budget (counted separately from budget 429s). */
  rateLimitStormRate?: number;
  /** Sandbox extension: 0..1 chance the token endpoint answers 503 without spending the refresh token. */
  tokenServerErrorRate?: number;
  /**
   * Sandbox extension: 0..1 chance a successful refresh loses its answer: the rotation is committed
   * (the old refresh token is spent, a new pair issued) and the connection is reset before any byte
   * of the response, as when a proxy or the network drops it. Counted in refreshResponsesLost.
   */
  refreshResponseLostRate?: number;
  /**
   * Sandbox extension: 0..1 chance a record is served as a later API version might serve it, still
   * valid (a new field, a new enum value, an optional field left out); decided per record.
   */
  schemaDriftRate?: number;
}

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

/** Lets the client read a syntactically broken JSON body: cut at a fraction, never empty, never whole. */
export function truncate(json: string, keep: number): string {
  const at = Math.min(json.length - 1, Math.max(1, Math.floor(json.length * keep)));
  return json.slice(0, at);
}

export function validateFaults<F extends SandboxFaults>(faults: F): F {
  for (const [name, value] of Object.entries(faults)) {
    if (value === undefined) continue;
    const max = name === 'latencyMs' ? Number.POSITIVE_INFINITY : 1;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      throw new Error(`fault ${name} must be a number in [0, ${max}]`);
    }
  }
  return { ...faults };
}
