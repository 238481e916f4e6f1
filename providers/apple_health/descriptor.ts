// Apple Health's pure facts (no I/O): nothing is pulled; data arrives as an export file the user hands
// to `wearhouse import apple-health` (docs/apple-health.md). Workflows read this through the catalog.
import type { ProviderDescriptor } from '../types.ts';

export const appleHealthDescriptor = {
  name: 'apple_health',
  displayName: 'Apple Health',
  auth: 'none',
  mode: 'push',
  kinds: [],
  // Not used for pulling; the import has no windows.
  windowDays: 30,
  rescoreLookbackDays: 0,
  envPrefix: 'APPLE_HEALTH',
} as const satisfies ProviderDescriptor;

/** The kinds an export import stores (element names of unknown top-level elements add their own). */
export const APPLE_HEALTH_KINDS = [
  'record',
  'correlation',
  'workout',
  'workout_route',
  'activity_summary',
  'me',
] as const;
