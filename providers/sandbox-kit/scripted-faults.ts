// Faults a test asks for by count ("the next 6 requests answer 503, Retry-After 1"), plus an optional
// per-minute request limit answered with 429: what providers without a fixed rate limit do under load.
import type { JsonReply } from './json-server.ts';

export interface ScriptedFault {
  status: number;
  /** Seconds, sent as Retry-After when set. */
  retryAfterSeconds?: number;
}

export class ScriptedFaults {
  private readonly queue: ScriptedFault[] = [];
  private readonly recent: number[] = [];
  /** Faults answered so far, by status. */
  readonly served = new Map<number, number>();

  constructor(private requestsPerMinute?: number) {}

  /** The next `count` requests fail with this fault (after any already queued). */
  failNext(fault: ScriptedFault, count = 1): void {
    for (let i = 0; i < count; i++) this.queue.push(fault);
  }

  setRequestsPerMinute(limit: number | undefined): void {
    this.requestsPerMinute = limit;
  }

  /** The fault reply for this request, if it gets one. */
  take(now = Date.now()): JsonReply | undefined {
    const fault = this.queue.shift() ?? this.overLimit(now);
    if (!fault) return undefined;
    this.served.set(fault.status, (this.served.get(fault.status) ?? 0) + 1);
    return {
      status: fault.status,
      body: { detail: fault.status === 429 ? 'Too Many Requests' : 'Service Unavailable' },
      headers:
        fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) },
    };
  }

  private overLimit(now: number): ScriptedFault | undefined {
    if (!this.requestsPerMinute) return undefined;
    while (this.recent.length > 0 && (this.recent[0] ?? 0) <= now - 60_000) this.recent.shift();
    if (this.recent.length >= this.requestsPerMinute) {
      const oldest = this.recent[0] ?? now;
      return { status: 429, retryAfterSeconds: Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000)) };
    }
    this.recent.push(now);
    return undefined;
  }
}
