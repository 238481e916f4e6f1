// Activities of the read API's fetch workflow (workflows/read-fetch.ts): recording that it failed,
// so /daily can say so (docs/read-api.md, "A failed fetch").
import type { Sql } from '../store/db.ts';
import { type ReadFetchFailure, recordReadFetchFailure } from '../store/read-fetch-failures.ts';

export type { ReadFetchFailure };

export function createReadFetchActivities(deps: { sql: Sql }) {
  return {
    async recordReadFetchFailure(failure: ReadFetchFailure): Promise<void> {
      await recordReadFetchFailure(deps.sql, failure);
    },
  };
}
