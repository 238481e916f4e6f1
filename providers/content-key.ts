// A stable id for records that have none of their own (Apple Health): the same content always gives
// the same key, so re-imports and overlapping exports never duplicate (docs/architecture.md).
import { createHash } from 'node:crypto';

export function contentKey(parts: (string | number | null)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
