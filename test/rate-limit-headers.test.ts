// Each provider's rate-limit headers are read its own way: WHOOP's X-RateLimit-Reset counts seconds
// from now, Oura's is the Unix epoch second of the reset. The same header value means different things.
import { describe, expect, it } from 'vitest';
import { readRateLimitHeaders, retryAfterMs } from '../providers/http.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('readRateLimitHeaders', () => {
  it('delta-seconds (WHOOP): the reset is seconds from now, whatever its size', () => {
    const headers = new Headers({ 'X-RateLimit-Remaining': '98, 9876', 'X-RateLimit-Reset': '42' });
    expect(readRateLimitHeaders(headers, 'delta-seconds', NOW)).toEqual({ remaining: 98, resetSeconds: 42 });
    // A day window's reset can be large; it is never mistaken for an epoch.
    const day = new Headers({ 'X-RateLimit-Reset': '86400' });
    expect(readRateLimitHeaders(day, 'delta-seconds', NOW).resetSeconds).toBe(86_400);
  });

  it('unix-epoch (Oura): the reset is an instant, turned into seconds from now', () => {
    const headers = new Headers({
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(NOW / 1000 + 90),
    });
    expect(readRateLimitHeaders(headers, 'unix-epoch', NOW)).toEqual({ remaining: 0, resetSeconds: 90 });
    // A reset already past means no wait, not a negative one.
    const past = new Headers({ 'X-RateLimit-Reset': String(NOW / 1000 - 5) });
    expect(readRateLimitHeaders(past, 'unix-epoch', NOW).resetSeconds).toBe(0);
  });

  it('Retry-After wins over the reset; without it the reset as read decides', () => {
    const headers = new Headers({ 'Retry-After': '3', 'X-RateLimit-Reset': String(NOW / 1000 + 90) });
    expect(retryAfterMs(headers, readRateLimitHeaders(headers, 'unix-epoch', NOW), NOW)).toBe(3000);
    const noRetryAfter = new Headers({ 'X-RateLimit-Reset': '15' });
    expect(retryAfterMs(noRetryAfter, readRateLimitHeaders(noRetryAfter, 'delta-seconds', NOW), NOW)).toBe(
      15_000,
    );
  });
});
