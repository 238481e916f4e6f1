// Parsing and validation of workflow inputs. Pure and deterministic, so it runs inside workflows
// (a bad input fails the workflow at once, before anything is fetched) and in the CLI.
import { z } from 'zod';
import { descriptorOf, fetchableKinds, providerCatalog } from '../providers/catalog.ts';
import { InvalidInputError } from '../providers/errors.ts';
import type { ProviderDescriptor } from '../providers/types.ts';

export { InvalidInputError };

export interface BackfillInput {
  userId: string;
  provider: string;
  /** ISO date (YYYY-MM-DD, start of that UTC day) or instant with a zone. */
  from: string;
  /** ISO date (the whole UTC day is included) or instant with a zone (exclusive). */
  to: string;
  kinds?: string[];
}

export interface SyncInput {
  userId: string;
  provider: string;
}

export interface ParsedRange {
  userId: string;
  provider: string;
  kinds: string[];
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const userIdSchema = z
  .string({ error: 'userId is required' })
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/,
    'userId may hold letters, digits, . _ @ - (1 to 128 characters)',
  );

const baseSchema = z.object({
  userId: userIdSchema,
  provider: z.string({ error: 'provider is required' }),
});

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ` : '') + issue.message)
    .join('; ');
}

function parseBase(input: unknown): { userId: string; provider: string; descriptor: ProviderDescriptor } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError(
      'input must be one JSON object, e.g. {"userId":"alice","provider":"<provider>"}',
    );
  }
  const parsed = baseSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(describe(parsed.error));
  const { userId, provider } = parsed.data;
  const descriptor = descriptorOf(provider);
  if (!descriptor) {
    throw new InvalidInputError(
      `unknown provider "${provider.slice(0, 40)}" (known: ${Object.keys(providerCatalog).join(', ')})`,
    );
  }
  return { userId, provider, descriptor };
}

/** Backfill and sync pull from the provider: a push source (its data is sent to us) has nothing to pull. */
export function requirePullSource(descriptor: ProviderDescriptor, what: 'backfill' | 'sync'): void {
  if (descriptor.mode !== 'pull') {
    throw new InvalidInputError(
      `${descriptor.name} is a push source: its data arrives by upload or webhook, there is nothing to ${what}`,
    );
  }
}

function parsePullBase(input: unknown, what: 'backfill' | 'sync') {
  const base = parseBase(input);
  requirePullSource(base.descriptor, what);
  return base;
}

/** A date is the start of that UTC day; with `endOfDay`, the start of the next one (whole day included). */
export function parseBound(name: string, value: unknown, endOfDay: boolean): Date {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidInputError(
      `${name} is required: an ISO date (2024-01-31) or instant (2024-01-31T08:00:00Z)`,
    );
  }
  const text = value.trim();
  if (datePattern.test(text)) {
    const date = new Date(`${text}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
      throw new InvalidInputError(`${name} "${text}" is not a calendar date`);
    }
    return endOfDay ? new Date(date.getTime() + DAY_MS) : date;
  }
  if (!instantPattern.test(text)) {
    throw new InvalidInputError(
      `${name} "${text}" is neither an ISO date (2024-01-31) nor an instant with a zone (2024-01-31T08:00:00Z)`,
    );
  }
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime()))
    throw new InvalidInputError(`${name} "${text}" is not a valid instant`);
  return instant;
}

export function parseBackfillInput(input: unknown): ParsedRange {
  const { userId, provider, descriptor } = parsePullBase(input, 'backfill');
  const raw = input as Record<string, unknown>;
  const start = parseBound('from', raw.from, false);
  const end = parseBound('to', raw.to, true);
  if (start.getTime() >= end.getTime()) {
    throw new InvalidInputError(`from (${String(raw.from)}) must be before to (${String(raw.to)})`);
  }
  // Opt-in kinds are fetched only when named; the default is the provider's default kinds.
  const known = fetchableKinds(descriptor);
  let kinds = [...descriptor.kinds];
  if (raw.kinds !== undefined) {
    if (!Array.isArray(raw.kinds) || raw.kinds.length === 0 || raw.kinds.some((k) => typeof k !== 'string')) {
      throw new InvalidInputError(
        `kinds must be a non-empty list of strings (known for ${provider}: ${known.join(', ')})`,
      );
    }
    const unknown = [...new Set(raw.kinds.filter((kind: string) => !known.includes(kind)))];
    if (unknown.length) {
      // A few of them, cut short: the list may be huge.
      const shown = unknown.slice(0, 5).map((kind) => kind.slice(0, 40));
      const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
      throw new InvalidInputError(
        `unknown kinds for ${provider}: ${shown.join(', ')}${more} (known: ${known.join(', ')})`,
      );
    }
    // Keep the provider's fetch order whatever order the caller gave.
    kinds = known.filter((kind) => (raw.kinds as string[]).includes(kind));
  }
  if (raw.options !== undefined) parseBackfillOptions(raw.options);
  return { userId, provider, kinds, start, end };
}

// The backfill's tuning knobs (BackfillOptions in backfill.ts). A zero, negative or non-numeric value
// would stall the workflow (nothing started, continued as new forever) or fail its every task.
const backfillOptionsSchema = z.strictObject({
  parallelism: z.number().int().min(1).max(100).optional(),
  windowsPerRun: z.number().int().min(1).max(100_000).optional(),
  heartbeatTimeoutSeconds: z.number().int().min(1).max(1800).optional(),
});

function parseBackfillOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidInputError(
      'options must be an object, e.g. {"parallelism":4,"windowsPerRun":200,"heartbeatTimeoutSeconds":60}',
    );
  }
  const parsed = backfillOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidInputError(
      parsed.error.issues
        .map((issue) => `options${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`)
        .join('; '),
    );
  }
}

export function parseSyncInput(input: unknown): { userId: string; provider: string } {
  const { userId, provider } = parsePullBase(input, 'sync');
  return { userId, provider };
}

/** A connection's user and provider, for any provider (push sources too). */
export function parseConnectionInput(input: unknown): { userId: string; provider: string } {
  const { userId, provider } = parseBase(input);
  return { userId, provider };
}
