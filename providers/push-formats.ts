// Formats that senders push to `serve` (POST /v1/ingest/<path>): how a body is validated and mapped
// into records. The ingest route, the normalizer activity and the replay command find a format here
// by name, so none of them names a provider.
import type { z } from 'zod';
import { HAE_PROVIDER, mapHealthAutoExport } from './health-auto-export/mapping.ts';
import { type HaePayload, haePayloadSchema } from './health-auto-export/schema.ts';
import type { MappedRecord } from './types.ts';

export interface PushFormat {
  /** Stored with each batch; the normalizer looks the format up by it. */
  name: string;
  /** The URL segment: POST /v1/ingest/<path>. */
  path: string;
  /** The provider its records are stored under. */
  provider: string;
  schema: z.ZodType;
  /** Sender headers kept with the batch (lower case); `sessionHeader` groups batches. */
  keptHeaders: readonly string[];
  sessionHeader?: string;
  map(payload: unknown): MappedRecord[];
}

const healthAutoExport: PushFormat = {
  name: 'health_auto_export',
  path: 'apple-health',
  provider: HAE_PROVIDER,
  schema: haePayloadSchema,
  keptHeaders: ['automation-name', 'automation-id', 'automation-aggregation', 'automation-period'],
  sessionHeader: 'session-id',
  map: (payload) => mapHealthAutoExport(payload as HaePayload),
};

export const pushFormats: readonly PushFormat[] = [healthAutoExport];

export function pushFormat(name: string): PushFormat | undefined {
  return pushFormats.find((format) => format.name === name);
}
