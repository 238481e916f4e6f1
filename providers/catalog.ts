// What workflows may know about providers: every provider's descriptor, as plain data (no I/O), so
// workflow code can validate inputs and plan windows deterministically. Adding a provider adds one
// line here and one in providers/modules.ts (docs/adding-a-provider.md).

import { appleHealthDescriptor } from './apple_health/descriptor.ts';
import { junctionDescriptor } from './junction/descriptor.ts';
import { ouraDescriptor } from './oura/descriptor.ts';
import type { ProviderDescriptor } from './types.ts';
import { whoopDescriptor } from './whoop/descriptor.ts';

const descriptors: readonly ProviderDescriptor[] = [
  whoopDescriptor,
  ouraDescriptor,
  junctionDescriptor,
  appleHealthDescriptor,
];

export const providerCatalog: Readonly<Record<string, ProviderDescriptor>> = Object.freeze(
  Object.fromEntries(descriptors.map((descriptor) => [descriptor.name, descriptor])),
);

export function isProviderName(name: string): boolean {
  return Object.hasOwn(providerCatalog, name);
}

/** The descriptor of a known provider; undefined otherwise. */
export function descriptorOf(name: string): ProviderDescriptor | undefined {
  return Object.hasOwn(providerCatalog, name) ? providerCatalog[name] : undefined;
}

/** Every kind a provider can fetch: the default ones, then the opt-in ones. */
export function fetchableKinds(descriptor: ProviderDescriptor): readonly string[] {
  return [...descriptor.kinds, ...(descriptor.optInKinds ?? [])];
}

/** The window length for one kind. */
export function windowDaysOf(descriptor: ProviderDescriptor, kind: string): number {
  return descriptor.windowDaysByKind?.[kind] ?? descriptor.windowDays;
}
