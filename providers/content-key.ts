// Source ids for content-keyed sources (samples without an id of their own): a stable hash of the
// parts that identify the record, so the same sample sent twice is one row (docs/architecture.md).
import { createHash } from 'node:crypto';

/** sha256 hex of JSON.stringify(parts), first 32 characters. */
export function contentKey(parts: readonly (string | number | null)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
