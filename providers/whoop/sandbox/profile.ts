// Who a sandbox user is: identity, body, habits and physiological baselines, all drawn from
// (seed, userKey) so the same key always yields the same person.

import { Rng } from '../../sandbox-kit/prng.ts';

export interface Sport {
  name: string;
  /** WHOOP's legacy sport id (only served on records before the v1 cutoff). */
  id: number;
  minutes: [number, number];
  /** Typical share of time in heart-rate zones 0..5. */
  zones: [number, number, number, number, number, number];
  /** m/s range when the sport records distance. */
  speed?: [number, number];
  /** Metres climbed per km when the sport records altitude. */
  climbPerKm?: [number, number];
}

export const SPORTS: readonly Sport[] = [
  {
    name: 'running',
    id: 0,
    minutes: [25, 95],
    zones: [0.03, 0.12, 0.3, 0.35, 0.15, 0.05],
    speed: [2.6, 3.6],
    climbPerKm: [4, 15],
  },
  {
    name: 'cycling',
    id: 1,
    minutes: [40, 180],
    zones: [0.05, 0.2, 0.35, 0.28, 0.1, 0.02],
    speed: [6, 9],
    climbPerKm: [5, 12],
  },
  { name: 'rowing', id: 18, minutes: [20, 60], zones: [0.05, 0.15, 0.3, 0.3, 0.15, 0.05], speed: [3.5, 4.5] },
  {
    name: 'swimming',
    id: 33,
    minutes: [25, 60],
    zones: [0.1, 0.25, 0.35, 0.2, 0.08, 0.02],
    speed: [0.8, 1.2],
  },
  { name: 'tennis', id: 34, minutes: [45, 120], zones: [0.1, 0.25, 0.3, 0.2, 0.12, 0.03] },
  { name: 'pilates', id: 43, minutes: [40, 60], zones: [0.45, 0.4, 0.13, 0.02, 0, 0] },
  { name: 'yoga', id: 44, minutes: [30, 75], zones: [0.6, 0.32, 0.08, 0, 0, 0] },
  { name: 'weightlifting', id: 45, minutes: [40, 90], zones: [0.35, 0.35, 0.2, 0.08, 0.02, 0] },
  { name: 'functional-fitness', id: 48, minutes: [30, 60], zones: [0.1, 0.2, 0.25, 0.25, 0.15, 0.05] },
  {
    name: 'hiking/rucking',
    id: 52,
    minutes: [60, 240],
    zones: [0.15, 0.35, 0.35, 0.12, 0.03, 0],
    speed: [1.1, 1.5],
    climbPerKm: [30, 80],
  },
  {
    name: 'walking',
    id: 63,
    minutes: [20, 80],
    zones: [0.4, 0.45, 0.13, 0.02, 0, 0],
    speed: [1.2, 1.6],
    climbPerKm: [2, 8],
  },
  { name: 'hiit', id: 96, minutes: [20, 45], zones: [0.05, 0.1, 0.2, 0.3, 0.25, 0.1] },
];

/** Home timezones (minutes east of UTC); one per user. */
const HOME_OFFSETS = [-480, -420, -360, -300, -240, -180, 0, 60, 60, 120, 330, 480, 540, 600];
const LAST_NAMES = [
  'Smith',
  'Garcia',
  'Müller',
  'Rossi',
  'Kowalski',
  'Nakamura',
  'Okafor',
  'Silva',
  'Jensen',
  'Dubois',
];
const FIRST_NAMES = ['Alex', 'Sam', 'Jordan', 'Robin', 'Kim', 'Noor', 'Mika', 'Ari'];

export interface UserParams {
  key: string;
  /** `${seed}|${key}`: the prefix of every PRNG key for this user. */
  prefix: string;
  userId: number;
  firstName: string;
  lastName: string;
  email: string;
  homeOffsetMin: number;
  /** Usual bedtime as minutes after the previous local midnight (e.g. 1380 = 23:00, 1470 = 00:30). */
  bedtimeMin: number;
  sleepNeedMs: number;
  restingHr: number;
  hrvMs: number;
  maxHr: number;
  age: number;
  heightM: number;
  weightKg: number;
  /** Mean workouts per day. */
  workoutRate: number;
  /** Preferred sports (indices into SPORTS), most frequent first. */
  sports: number[];
}

export function userParams(seed: string, key: string): UserParams {
  const prefix = `${seed}|${key}`;
  const rng = new Rng(`${prefix}|profile`);
  const age = rng.int(22, 58);
  const heightM = round(rng.normal(1.74, 0.09), 4);
  const bmi = rng.range(20, 28);
  const sports: number[] = [];
  const wanted = rng.int(3, 5);
  while (sports.length < wanted) {
    const s = rng.int(0, SPORTS.length - 1);
    if (!sports.includes(s)) sports.push(s);
  }
  const slug = key.toLowerCase().replace(/[^a-z0-9]+/g, '.') || 'user';
  const named = /^[a-z]+$/i.test(key);
  return {
    key,
    prefix,
    userId: 10_000 + rng.int(0, 9_989_999),
    firstName: named ? key[0]?.toUpperCase() + key.slice(1).toLowerCase() : rng.pick(FIRST_NAMES),
    lastName: rng.pick(LAST_NAMES),
    email: `${slug}@example.com`,
    homeOffsetMin: rng.pick(HOME_OFFSETS),
    bedtimeMin: rng.int(21 * 60 + 45, 24 * 60 + 45),
    sleepNeedMs: Math.round(rng.range(7, 8.6) * 3_600_000),
    restingHr: rng.int(46, 66),
    hrvMs: rng.range(35, 115),
    maxHr: Math.round(208 - 0.7 * age + rng.normal(0, 5)),
    age,
    heightM,
    weightKg: round(bmi * heightM * heightM, 4),
    workoutRate: rng.range(0.35, 1.3),
    sports,
  };
}

export function basicProfile(p: UserParams): Record<string, unknown> {
  return { user_id: p.userId, email: p.email, first_name: p.firstName, last_name: p.lastName };
}

export function bodyMeasurement(p: UserParams): Record<string, unknown> {
  return { height_meter: p.heightM, weight_kilogram: p.weightKg, max_heart_rate: p.maxHr };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** '+hh:mm' / '-hh:mm', and 'Z' for UTC (the spec allows it, so clients must cope with it). */
export function formatOffset(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
