// The sandbox's people: each is a Junction user (a UUID) whose data comes from a mix of devices and
// apps, the way Junction aggregates them, and who lives at a fixed UTC offset.
import { uuidFor } from '../../sandbox-kit/keyed-random.ts';
import type { JunctionKind } from '../descriptor.ts';

export interface SandboxUser {
  /** The readable name (Junction's client_user_id): 'alice'. */
  name: string;
  /** The Junction user id. */
  userId: string;
  /** Seconds east of UTC. */
  offsetSeconds: number;
  /** Which sources report which kind. */
  sources: Readonly<Record<JunctionKind, readonly string[]>>;
}

export const TEAM_ID = uuidFor('junction-sandbox|team');

const PROFILES: readonly Omit<SandboxUser, 'userId'>[] = [
  {
    name: 'alice',
    offsetSeconds: 3_600,
    sources: {
      sleep: ['oura'],
      activity: ['oura', 'apple_health_kit'],
      workouts: ['garmin'],
      body: ['withings'],
      heartrate: ['oura'],
    },
  },
  {
    name: 'bob',
    offsetSeconds: -18_000,
    sources: {
      sleep: ['garmin'],
      activity: ['garmin'],
      workouts: ['strava', 'garmin'],
      body: [],
      heartrate: ['garmin'],
    },
  },
  {
    name: 'carol',
    offsetSeconds: 32_400,
    sources: {
      sleep: ['apple_health_kit'],
      activity: ['apple_health_kit'],
      workouts: ['apple_health_kit'],
      body: ['apple_health_kit'],
      heartrate: ['apple_health_kit'],
    },
  },
];

export function sandboxUsers(seed: string): SandboxUser[] {
  return PROFILES.map((profile) => ({ ...profile, userId: uuidFor(`${seed}|user|${profile.name}`) }));
}
