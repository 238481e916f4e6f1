// The few formulas that tie the generated numbers together, so strain, heart rate, energy and recovery
// move with each other the way they do on a real wearer.

/** Strain "load" per minute spent in zones 0..5; strain grows logarithmically with load. */
export const ZONE_LOAD = [0.2, 0.8, 1, 2, 3.5, 5];
/** Typical heart rate in zones 0..5, as a fraction of max heart rate. */
export const ZONE_HR = [0.45, 0.55, 0.65, 0.75, 0.85, 0.94];
/** Upper bound of zones 0..5 as a fraction of max heart rate. */
export const ZONE_TOP = [0.5, 0.6, 0.7, 0.8, 0.9, 1];

const STRAIN_SCALE = 120;

/** WHOOP strain is 0..21 and saturates: doubling the work does not double the strain. */
export function strainFromLoad(load: number): number {
  return 21 * (1 - Math.exp(-Math.max(0, load) / STRAIN_SCALE));
}

/** Load of a session from its zone shares (weights sum to 1) and length. */
export function sessionLoad(zoneShares: readonly number[], minutes: number): number {
  return zoneShares.reduce((sum, share, i) => sum + share * minutes * (ZONE_LOAD[i] ?? 0), 0);
}

/** Energy expenditure from heart rate (Keytel et al. 2005), kJ per minute, floored at a resting rate. */
export function kilojoulePerMinute(heartRate: number, weightKg: number, age: number): number {
  return Math.max(5, -55.0969 + 0.6309 * heartRate + 0.1988 * weightKg + 0.2017 * age);
}

/** Resting energy for a day (Mifflin–St Jeor), kJ. */
export function restingKilojoulePerDay(weightKg: number, heightM: number, age: number): number {
  return (10 * weightKg + 625 * heightM - 5 * age + 5) * 4.184;
}

/**
 * Recovery rises with HRV above baseline and with sleep performance, falls with resting HR above
 * baseline. The result is clamped to 1..99 as WHOOP scores rarely touch the extremes.
 */
export function recoveryScore(hrvRatio: number, sleepPerformance: number, rhrDelta: number): number {
  const raw = 58 + 95 * Math.log(hrvRatio) + 0.45 * (sleepPerformance - 85) - 2.2 * rhrDelta;
  return Math.min(99, Math.max(1, raw));
}

/** Splits `total` ms across weights into integers that sum to exactly `total`. */
export function splitExact(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((total * w) / sum));
  const rest = total - parts.reduce((a, b) => a + b, 0);
  let largest = 0;
  for (let i = 1; i < weights.length; i++) if ((weights[i] ?? 0) > (weights[largest] ?? 0)) largest = i;
  parts[largest] = (parts[largest] ?? 0) + rest;
  return parts;
}
