import type { ProviderDescriptor } from '../types.ts';

// Oura v2 as plain facts (no I/O): workflows read these through the catalog to validate inputs and
// plan windows. The API itself: providers/oura/spec/oura-openapi.yml; how it is read: docs/oura.md.

/** Collections pulled by default, in fetch order (the /v2/usercollection/<name> names). */
export const OURA_KINDS = [
  'daily_sleep',
  'sleep',
  'daily_readiness',
  'daily_activity',
  'workout',
  'session',
  'daily_spo2',
  'daily_stress',
] as const;
/**
 * Fetched only when a backfill names it: heart rate is a sample every 5 minutes (about 8,600
 * documents per 30-day window), so it is opt-in rather than part of every sync.
 */
export const OURA_OPT_IN_KINDS = ['heartrate'] as const;
export type OuraCollectionKind = (typeof OURA_KINDS)[number] | (typeof OURA_OPT_IN_KINDS)[number];
/** The single personal_info document: the user's Oura id and body facts, not a windowed collection. */
export const OURA_SINGLE_KIND = 'personal_info';

/** Collections filtered by instants (start_datetime/end_datetime); every other one by its `day` field. */
export const OURA_INSTANT_KINDS: readonly string[] = ['heartrate'];

export const ouraDescriptor = {
  name: 'oura',
  displayName: 'Oura',
  auth: 'oauth',
  mode: 'pull',
  kinds: OURA_KINDS,
  optInKinds: OURA_OPT_IN_KINDS,
  // Daily documents are small (one per day per kind, a few sleep periods a day): 90 days is two or
  // three pages, and a year is five windows per kind.
  windowDays: 90,
  // The heartrate endpoint fails above 30 days per request.
  windowDaysByKind: { heartrate: 30 },
  // Every collection but heartrate filters by the document's `day`.
  dayFilteredKinds: OURA_KINDS,
  // Oura documents have no updated_at and change after the fact (late syncs, bedtime edits, scores
  // recomputed when the next night arrives): incremental sync re-reads a week and stores only what
  // changed (payload comparison in store/records.ts).
  rescoreLookbackDays: 7,
  envPrefix: 'OURA',
  oauth: { scopes: 'email personal daily heartrate workout session spo2Daily', pkce: true },
} as const satisfies ProviderDescriptor;

export type OuraDescriptor = typeof ouraDescriptor;
