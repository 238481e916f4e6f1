// Configuration comes only from the environment, validated once at start. A bad value stops the
// process with one line naming the variable (see ConfigError and cli/main.ts).
import { z } from 'zod';
import { envUrl, envInt as intInRange } from '../providers/env.ts';
import { providerEnvShape } from '../providers/modules.ts';
import { serveConfigSchema } from '../serve/config.ts';

const optionalUrl = (protocols: string[]) => envUrl(protocols).optional();

// Core variables; each provider module contributes its own (its envSchema, providers/modules.ts).
export const envSchema = z.object({
  ...providerEnvShape,
  ...serveConfigSchema.shape,
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('wearhouse'),
  // TLS and API key for Temporal Cloud or a secured cluster, named as Temporal's own CLI and SDKs name
  // them (worker/temporal-connection.ts). The key and the *_DATA values are secrets: never logged.
  TEMPORAL_API_KEY: z.string().trim().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0'], { message: 'must be true or false' }).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().trim().min(1).optional(),
  TOKEN_ENCRYPTION_KEY: z
    .string()
    .trim()
    .regex(
      /^([A-Za-z0-9_-]{1,32}:)?[A-Za-z0-9+/]{43}=$/,
      'must be 32 random bytes in base64, optionally prefixed by a key id ("k2:<base64>")',
    )
    .optional(),
  TOKEN_ENCRYPTION_OLD_KEYS: z
    .string()
    .trim()
    .regex(
      /^([A-Za-z0-9_-]{1,32}:)?[A-Za-z0-9+/]{43}=(\s*,\s*([A-Za-z0-9_-]{1,32}:)?[A-Za-z0-9+/]{43}=)*$/,
      'must be a comma-separated list of keys, each like TOKEN_ENCRYPTION_KEY ("k1:<base64>")',
    )
    .optional(),
  SYNC_INTERVAL_MINUTES: intInRange(1, 24 * 60, 15),
  INITIAL_BACKFILL_DAYS: intInRange(0, 20 * 365, 365),
  RESCORE_LOOKBACK_DAYS: intInRange(0, 90, 7),
  GRAFANA_DB_PASSWORD: z.string().min(1).optional(),
  METRICS_PORT: intInRange(0, 65_535, 9464),
  /** Activities one worker runs at once; also sizes its Postgres pool (worker/worker.ts, poolSizeFor). */
  WORKER_ACTIVITY_CONCURRENCY: intInRange(1, 1_000, 20),
  // Memory knobs (docs/operating.md, _Worker memory_; defaults measured in bench/MEMORY.md).
  /** Workflow runs kept in the worker's sticky cache; Temporal's default grows with the heap limit (~2,300). */
  WORKER_MAX_CACHED_WORKFLOWS: intInRange(2, 10_000, 100),
  /** A workflow bundle built by `wearhouse bundle-workflows`; unset: bundled at start in a child process. */
  WORKER_WORKFLOW_BUNDLE: z.string().trim().min(1).optional(),
  /** Top-level elements per committed batch of a file import (two batches are in memory at once). */
  IMPORT_BATCH_ELEMENTS: intInRange(100, 100_000, 2_000),
  /** Log the process's memory (rss, heap, external, arrayBuffers) every N seconds; 0 turns it off. */
  WORKER_MEMORY_LOG_SECONDS: intInRange(0, 86_400, 0),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  OAUTH_REDIRECT_URL: optionalUrl(['http:', 'https:']).default('http://localhost:8788/callback'),
  WEARHOUSE_DATA_DIR: z.string().trim().min(1).default('.data'),
  WEARHOUSE_PG_PORT: intInRange(1, 65_535, 54329),
  WEARHOUSE_TEMPORAL_PORT: intInRange(1, 65_535, 7233),
  WEARHOUSE_TEMPORAL_UI_PORT: intInRange(1, 65_535, 8233),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; unset and empty variables take their defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape)
      .map((key) => [key, env[key]])
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    // Never echo the value: it may be a secret.
    throw new ConfigError(variable, issue?.message ?? 'is invalid');
  }
  return parsed.data;
}
