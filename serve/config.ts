// `wearhouse serve`'s environment variables, merged into the config by worker/config.ts.
import { z } from 'zod';
import { envInt, envUrl } from '../providers/env.ts';

export const serveConfigSchema = z.object({
  WEARHOUSE_HTTP_PORT: envInt(0, 65_535, 8787),
  /** Largest accepted push body (Health Auto Export batches); bigger → 413. */
  INGEST_MAX_BYTES: envInt(1024, 1024 * 1024 * 1024, 52_428_800),
  /** How the outside world reaches `serve`: the OAuth redirect URIs are built from it. */
  WEARHOUSE_PUBLIC_URL: envUrl(['http:', 'https:']).default('http://localhost:8787'),
  /** Seconds a failed read-API fetch answers `failed` before a read asks the provider again. */
  READ_FETCH_RETRY_AFTER_S: envInt(1, 86_400, 60),
});
