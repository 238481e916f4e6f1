// Source ids for records without ids of their own (Apple Health exports, Health Auto Export pushes):
// a stable hash of what identifies the measurement, so re-imports, re-sent batches and overlapping
// periods land on the same row instead of a second one.
import { createHash } from 'node:crypto';

export function contentKey(parts: (string | number | null)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
