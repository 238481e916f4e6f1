// Deterministic "random" values for sandboxes: every value is a pure function of a readable key such
// as `seed|alice|sleep|2024-03-05`, so data is the same on every run and every request, and no
// generator state has to be carried from one day to the next.
import { createHash } from 'node:crypto';

/** A uniform number in [0, 1) that depends only on `key`. */
export function unitFor(key: string): number {
  // 48 bits of sha256: plenty of resolution, still an exact double.
  return createHash('sha256').update(key).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** A number in [min, max). */
export function numberFor(key: string, min: number, max: number): number {
  return min + (max - min) * unitFor(key);
}

/** An integer in [min, max], both inclusive. */
export function intFor(key: string, min: number, max: number): number {
  return min + Math.floor(unitFor(key) * (max - min + 1));
}

export function chanceFor(key: string, probability: number): boolean {
  return unitFor(key) < probability;
}

export function pickFor<T>(key: string, items: readonly T[]): T {
  const item = items[Math.floor(unitFor(key) * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** A random-looking (version 4 layout) but reproducible UUID. */
export function uuidFor(key: string): string {
  const bytes = createHash('sha256').update(`uuid|${key}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
