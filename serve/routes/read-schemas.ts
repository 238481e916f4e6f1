// The read API's request and response schemas (zod): they validate requests, serialize responses
// and generate /openapi.json, so the document cannot drift from the code (docs/read-api.md).
import { z } from 'zod';
import { HEADLINE_MEASURES } from '../../store/read-days.ts';

/** Largest span of /daily, in days (both ends included): a quarter. */
export const MAX_DAILY_SPAN_DAYS = 92;
export const DEFAULT_WAIT_MS = 5000;
export const MAX_WAIT_MS = 30_000;
export const MAX_RECORDS_LIMIT = 1000;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'an ISO date, e.g. 2024-03-01')
  .refine((text) => new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text, 'not a calendar date');

export const userParams = z.object({
  user: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/,
      'a user id: letters, digits, . _ @ - (1 to 128 characters)',
    ),
});

/** `5s`, `1500ms`, `2.5` (seconds); at most MAX_WAIT_MS. */
const waitParam = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s)?$/, 'a duration such as 5s, 1500ms or 0')
  .transform((text) =>
    text.endsWith('ms') ? Number(text.slice(0, -2)) : Number(text.replace(/s$/, '')) * 1000,
  )
  .refine((ms) => ms <= MAX_WAIT_MS, `at most ${MAX_WAIT_MS / 1000}s`);

export const dailyQuery = z.object({
  from: isoDate,
  to: isoDate,
  wait: waitParam.optional(),
  detail: z.enum(['providers']).optional(),
});

const measureShape = Object.fromEntries(
  HEADLINE_MEASURES.map((m) => [m, z.number().nullable().optional()]),
) as {
  [K in (typeof HEADLINE_MEASURES)[number]]: z.ZodOptional<z.ZodNullable<z.ZodNumber>>;
};

const status = z
  .enum(['complete', 'pending', 'failed', 'unavailable'])
  .describe(
    'complete: covered and has data; unavailable: covered, nothing there; pending: a fetch is under way; ' +
      'failed: the fetch failed (reason), asked again after Retry-After',
  );

const sourceMeasures = z.object({
  provider: z.string(),
  source: z.string().nullable(),
  ...measureShape,
  hrv_rmssd_ms: z.number().nullable(),
});

export const dailyResponse = z.object({
  user: z.string(),
  from: z.string(),
  to: z.string(),
  /** Providers still fetching; absent days come back with Retry-After. */
  pending: z.array(z.string()),
  /** Providers whose fetch of some of the days failed a short while ago. */
  failed: z.array(
    z.object({
      provider: z.string(),
      errorType: z.string().describe('The failure type, e.g. ProviderClientError'),
      reason: z.string(),
      failedAt: z.string(),
      retryAfterS: z.number().int().describe('Seconds until a read asks the provider again'),
    }),
  ),
  days: z.array(
    z.object({
      day: z.string(),
      status,
      final: z.boolean(),
      reason: z.string().optional().describe('Why a failed day is not complete, per failed provider'),
      ...measureShape,
      providers: z
        .array(
          z.object({
            provider: z.string(),
            status,
            records: z.number().int(),
            sources: z.array(sourceMeasures),
          }),
        )
        .optional(),
    }),
  ),
});

export const recordsQuery = z.object({
  kind: z.string().min(1).max(64),
  from: isoDate,
  to: isoDate,
  provider: z.string().min(1).max(64).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_RECORDS_LIMIT).optional(),
});

export const recordsResponse = z.object({
  records: z.array(
    z.object({
      provider: z.string(),
      kind: z.string(),
      sourceId: z.string(),
      day: z.string().nullable(),
      startAt: z.string().nullable(),
      endAt: z.string().nullable(),
      providerUpdatedAt: z.string().nullable(),
      payload: z.unknown(),
    }),
  ),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});

const range = z.object({ from: z.string(), to: z.string() });

export const statusResponse = z.object({
  generatedAt: z.string(),
  providers: z.array(
    z.object({
      provider: z.string(),
      requestsToday: z.number().int(),
      requestsPerDay: z.number().int().nullable(),
      requestsPerMinute: z.number().nullable(),
      kinds: z.array(z.object({ kind: z.string(), records: z.number().int(), users: z.number().int() })),
    }),
  ),
  connections: z.array(
    z.object({
      provider: z.string(),
      user: z.string(),
      status: z.string(),
      lastSuccess: z.string().nullable(),
      failures24h: z.number().int(),
      lastError: z.string().nullable(),
      kinds: z.array(
        z.object({
          kind: z.string(),
          records: z.number().int(),
          covered: z.array(range),
          gaps: z.array(range),
          lastSuccess: z.string().nullable(),
          failing: z.boolean(),
        }),
      ),
    }),
  ),
  /** Open fetch workflows (read fetches, backfills, webhook fetches); null when Temporal is unreachable. */
  pendingFetches: z
    .array(
      z.object({
        workflowId: z.string(),
        type: z.string(),
        user: z.string().nullable(),
        provider: z.string().nullable(),
        startedAt: z.string(),
      }),
    )
    .nullable(),
});

export const errorResponse = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
