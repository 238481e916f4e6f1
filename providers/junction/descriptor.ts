// Junction (formerly Vital) as pure facts: no I/O, so workflows can read it through the catalog.
// Junction aggregates many devices and apps (Oura, Garmin, Apple Health…) behind one API key; a local
// user maps to a Junction user id. See docs/junction.md.
import type { ProviderDescriptor } from '../types.ts';

/** Summary kinds pulled by default, in fetch order (none depends on another). */
export const JUNCTION_SUMMARY_KINDS = ['sleep', 'activity', 'workouts', 'body'] as const;
export type JunctionSummaryKind = (typeof JUNCTION_SUMMARY_KINDS)[number];

/** Fetched only when asked by name: a heart-rate series is thousands of samples a day. */
export const JUNCTION_TIMESERIES_KINDS = ['heartrate'] as const;
export type JunctionTimeseriesKind = (typeof JUNCTION_TIMESERIES_KINDS)[number];

export type JunctionKind = JunctionSummaryKind | JunctionTimeseriesKind;

export function isJunctionSummaryKind(kind: string): kind is JunctionSummaryKind {
  return (JUNCTION_SUMMARY_KINDS as readonly string[]).includes(kind);
}

export function isJunctionTimeseriesKind(kind: string): kind is JunctionTimeseriesKind {
  return (JUNCTION_TIMESERIES_KINDS as readonly string[]).includes(kind);
}

export const junctionDescriptor = {
  name: 'junction',
  displayName: 'Junction',
  auth: 'api_key',
  mode: 'pull',
  kinds: JUNCTION_SUMMARY_KINDS,
  optInKinds: JUNCTION_TIMESERIES_KINDS,
  // Summaries are not paged: the window is what bounds a response. 30 days is about 30 documents per
  // kind and connected source (a few sources at most), a few hundred KB with sleep streams.
  windowDays: 30,
  // A heart-rate window of 7 days is ~2,000 samples per source at 5-minute resolution, a few pages.
  windowDaysByKind: { heartrate: 7 },
  // Sources re-sync late (a ring synced days later, a sleep re-scored): a week is re-read each time.
  rescoreLookbackDays: 7,
  envPrefix: 'JUNCTION',
  // No tokens: `wearhouse connect junction --user U --junction-user-id UUID` stores the user's id.
  externalUserIdFlag: 'junction-user-id',
} as const satisfies ProviderDescriptor;
