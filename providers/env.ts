// zod builders for environment variables: every value arrives as a string, and an error names the
// rule broken (never the value, which may be a secret). Shared by the core config and each provider's.
import { z } from 'zod';

/** A URL with one of the given protocols; `fallback` when unset. */
export function envUrl(protocols: string[]) {
  return z
    .string()
    .trim()
    .min(1)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL (${protocols.join(' or ')})`,
    );
}

/** A whole number in [min, max]; `fallback` when unset. */
export function envInt(min: number, max: number, fallback: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback);
}
