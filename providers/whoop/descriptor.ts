// WHOOP's pure facts (no I/O): workflows read them through providers/catalog.ts.
import type { ProviderDescriptor } from '../types.ts';

export const whoopDescriptor = {
  name: 'whoop',
  displayName: 'WHOOP',
  auth: 'oauth',
  mode: 'pull',
  // A recovery belongs to its cycle (it takes the cycle's times), so cycles come first.
  kinds: ['cycle', 'sleep', 'recovery', 'workout'],
  // 30-day windows: 2-3 pages of 25 per kind (about 30 cycles, 30-40 sleeps and recoveries, a few
  // dozen workouts), so a retried window costs little and a year is about a dozen activities per kind.
  windowDays: 30,
  // WHOOP rescores recent cycles, sleeps and recoveries for about a week.
  rescoreLookbackDays: 7,
  envPrefix: 'WHOOP',
  oauth: {
    scopes: 'offline read:cycles read:recovery read:sleep read:workout read:profile read:body_measurement',
    pkce: true,
  },
} as const satisfies ProviderDescriptor;
