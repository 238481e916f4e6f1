// Every provider module: the only list of providers besides providers/catalog.ts. The worker builds
// their runtimes (providers/registry.ts), the config merges their environments (worker/config.ts),
// the CLI finds their logins and sandboxes here. Adding a provider adds one line (docs/adding-a-provider.md).
import type { z } from 'zod';
import { provider as appleHealth } from './apple_health/index.ts';
import { provider as junction } from './junction/index.ts';
import { provider as oura } from './oura/index.ts';
import type { ProviderModule } from './types.ts';
import { provider as whoop } from './whoop/index.ts';

export const providerModules = [
  whoop,
  oura,
  junction,
  appleHealth,
] as const satisfies readonly ProviderModule[];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** Every provider's environment variables, one zod shape. */
export type ProviderEnvShape = UnionToIntersection<(typeof providerModules)[number]['envSchema']['shape']>;
/** The parsed environment of every provider. */
export type ProviderEnv = z.output<z.ZodObject<ProviderEnvShape>>;

export const providerEnvShape = Object.assign(
  {},
  ...providerModules.map((module) => module.envSchema.shape),
) as ProviderEnvShape;

export function moduleOf(name: string): ProviderModule | undefined {
  return providerModules.find((module) => module.descriptor.name === name);
}
