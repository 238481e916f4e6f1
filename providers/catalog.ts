// What workflows may know about providers: names, kinds and windowing facts, as plain data (no I/O),
// so workflow code can validate inputs and plan windows deterministically.

export interface ProviderFacts {
  /** Paged collection kinds, in fetch order (WHOOP: cycles before recoveries, which borrow the cycle's time). */
  kinds: readonly string[];
  /** Backfill window length: a handful of pages per activity. */
  windowDays: number;
  /** Records newer than this may still change (WHOOP rescoring): their windows are never final. */
  rescoreLookbackDays: number;
}

export const providerCatalog = {
  whoop: { kinds: ['cycle', 'sleep', 'recovery', 'workout'], windowDays: 30, rescoreLookbackDays: 7 },
} as const satisfies Record<string, ProviderFacts>;

export type ProviderName = keyof typeof providerCatalog;

export function isProviderName(name: string): name is ProviderName {
  return Object.hasOwn(providerCatalog, name);
}
