// Oura's two rate-limit layers (spec, "Rate Limits"): one window per access token and one for the
// whole application. A request trips whichever runs out first and gets a 429 naming it in
// X-RateLimit-Tier, with Retry-After in seconds and X-RateLimit-Reset as a Unix epoch (seconds).
// Every other response carries the binding layer's Limit/Remaining/Reset/Window too, so a client can
// slow down before a 429. Rejected requests spend nothing.
import { FixedWindow } from '../../sandbox-kit/rate-limit.ts';
import type { RateLayer } from './types.ts';

export type Tier = 'token' | 'application';

export interface LayerDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** The layer that refused (only when not allowed). */
  tier?: Tier;
}

export class OuraRateLimits {
  private readonly app: FixedWindow;
  private readonly perToken = new Map<string, FixedWindow>();

  constructor(
    appLayer: RateLayer,
    private readonly tokenLayer: RateLayer,
    private readonly clock: () => number,
  ) {
    this.app = new FixedWindow(appLayer.limit, appLayer.windowSeconds);
  }

  take(accessToken: string): LayerDecision {
    const now = this.clock();
    const token = this.windowOf(accessToken);
    this.app.roll(now);
    token.roll(now);
    const refused: [Tier, FixedWindow] | undefined =
      token.remaining(now) === 0
        ? ['token', token]
        : this.app.remaining(now) === 0
          ? ['application', this.app]
          : undefined;
    if (refused) {
      const [tier, window] = refused;
      return {
        allowed: false,
        tier,
        headers: {
          ...headersOf(window, now),
          'Retry-After': String(window.resetIn(now)),
          'X-RateLimit-Tier': tier,
        },
      };
    }
    this.app.count++;
    token.count++;
    const binding = token.remaining(now) < this.app.remaining(now) ? token : this.app;
    return { allowed: true, headers: headersOf(binding, now) };
  }

  private windowOf(accessToken: string): FixedWindow {
    let window = this.perToken.get(accessToken);
    if (!window) {
      window = new FixedWindow(this.tokenLayer.limit, this.tokenLayer.windowSeconds);
      this.perToken.set(accessToken, window);
    }
    return window;
  }
}

function headersOf(window: FixedWindow, now: number): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(window.limit),
    'X-RateLimit-Remaining': String(window.remaining(now)),
    'X-RateLimit-Reset': String(Math.ceil(window.resetAtMs(now) / 1000)),
    'X-RateLimit-Window': String(window.seconds),
  };
}
