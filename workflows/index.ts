// Every workflow type the worker registers. Workflow code is deterministic and imports no I/O.
export { backfill, progressQuery } from './backfill.ts';
export { importAppleHealth } from './import-apple-health.ts';
export { incrementalSync } from './incremental-sync.ts';
export { normalizeIngestBatch } from './normalize-ingest-batch.ts';
export { readFetch } from './read-fetch.ts';
export { webhookFetch } from './webhook-fetch.ts';
export { keepWebhookSubscriptions } from './webhook-subscriptions.ts';
