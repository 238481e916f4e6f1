// WHOOP's malformed records (per-request faults are the shared engine's: providers/sandbox-kit/faults.ts).
// Malformed records are decided per record, so the same record is broken on every page and every retry
// (a retry cannot "fix" it).

import { hash01 } from '../../sandbox-kit/prng.ts';
import type { StoredRecord } from './types.ts';

export function isMalformed(seed: string, record: StoredRecord, rate: number | undefined): boolean {
  return (rate ?? 0) > 0 && hash01(`${seed}|malformed|${record.kind}|${record.id}`) < (rate ?? 0);
}

/** A copy of the record's body broken in one of several ways the spec's schema rejects. */
export function malformedBody(seed: string, record: StoredRecord): Record<string, unknown> {
  const body: Record<string, unknown> = structuredClone(record.body);
  const how = Math.floor(hash01(`${seed}|malformed-how|${record.kind}|${record.id}`) * 5);
  switch (how) {
    case 0: // a required field is missing
      delete body[record.kind === 'recovery' ? 'sleep_id' : 'created_at'];
      break;
    case 1: // wrong type and outside the enum
      body.score_state = 3;
      break;
    case 2:
      body.user_id = `user-${String(body.user_id)}`;
      break;
    case 3: // an id of the wrong type
      if (record.kind === 'recovery') body.cycle_id = String(body.cycle_id);
      else body.id = record.kind === 'cycle' ? `c${String(body.id)}` : 12345;
      break;
    default:
      body.updated_at = null;
  }
  return body;
}
