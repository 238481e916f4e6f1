// Schema drift (sandbox extension): a record served the way a later version of the API might serve
// it, still valid against the spec — a field the spec does not know yet, a score_state value added
// after the spec was written, or an optional field left out. A client must store these, not
// quarantine them. Decided per record, like malformed records: the same record drifts the same way
// on every page and every retry.

import { hash01 } from '../../sandbox-kit/prng.ts';
import type { StoredRecord } from './types.ts';

export type DriftKind = 'new-fields' | 'new-enum-value' | 'missing-optional';
const KINDS: readonly DriftKind[] = ['new-fields', 'new-enum-value', 'missing-optional'];

/** A score_state value the spec does not list. */
export const DRIFT_SCORE_STATE = 'SCORED_PROVISIONAL';

export function isDrifted(seed: string, record: StoredRecord, rate: number | undefined): boolean {
  return (rate ?? 0) > 0 && hash01(`${seed}|drift|${record.kind}|${record.id}`) < (rate ?? 0);
}

export function driftKind(seed: string, record: StoredRecord): DriftKind {
  return (
    KINDS[Math.floor(hash01(`${seed}|drift-how|${record.kind}|${record.id}`) * KINDS.length)] ?? 'new-fields'
  );
}

/** A copy of the record's body as a newer API version might serve it. */
export function driftedBody(seed: string, record: StoredRecord): Record<string, unknown> {
  const body: Record<string, unknown> = structuredClone(record.body);
  const score = body.score as Record<string, unknown> | null | undefined;
  switch (driftKind(seed, record)) {
    case 'new-fields':
      body.data_quality = { version: 2, sources: ['strap', 'app'] };
      if (score) score.drift_metric_v2 = 0.5;
      break;
    case 'new-enum-value':
      body.score_state = DRIFT_SCORE_STATE;
      break;
    case 'missing-optional':
      // Fields the spec marks optional (or nullable), by kind.
      if (record.kind === 'cycle') delete body.end;
      else if (record.kind === 'recovery') {
        if (score) {
          delete score.spo2_percentage;
          delete score.skin_temp_celsius;
        }
      } else {
        delete body.v1_id;
        if (record.kind === 'workout') delete body.sport_id;
      }
      break;
  }
  return body;
}
