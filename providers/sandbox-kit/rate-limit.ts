// Fixed rate-limit windows ANCHORED AT THE FIRST REQUEST after the previous window ran out (not aligned
// to clock minutes): "N requests in a row" is deterministic for tests, and a client that waits out the
// reset always finds a fresh window. Sandboxes compose these into their provider's layers (WHOOP: a
// minute and a day per app; Oura: per access token and per app) and print their own headers.

export class FixedWindow {
  private startMs = Number.NEGATIVE_INFINITY;
  count = 0;

  constructor(
    readonly limit: number,
    readonly seconds: number,
  ) {}

  roll(nowMs: number): void {
    if (nowMs >= this.startMs + this.seconds * 1000) {
      this.startMs = nowMs;
      this.count = 0;
    }
  }

  /** What is left now; a window that has run out counts as fresh even before the next request rolls it. */
  remaining(nowMs: number): number {
    if (nowMs >= this.startMs + this.seconds * 1000) return this.limit;
    return Math.max(0, this.limit - this.count);
  }

  /** Seconds until this window resets; a whole window when none is running. */
  resetIn(nowMs: number): number {
    const end = this.startMs + this.seconds * 1000;
    return end > nowMs ? Math.ceil((end - nowMs) / 1000) : this.seconds;
  }

  /** Epoch ms at which this window resets (now + a whole window when none is running). */
  resetAtMs(nowMs: number): number {
    const end = this.startMs + this.seconds * 1000;
    return end > nowMs ? end : nowMs + this.seconds * 1000;
  }
}
