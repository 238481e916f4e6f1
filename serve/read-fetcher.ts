// Asks Temporal for the days a read found missing (docs/read-api.md): one `readFetch` per user and
// provider on a stable id, by signal-with-start `addRange`, so concurrent requests join one workflow
// (its addRange handler drops a range it has planned already) and covered windows cost no request.
// Never called inside a transaction; every call has a deadline so a down Temporal cannot hold a read.
import type { Client } from '@temporalio/client';
import { READ_FETCH_PRIORITY_KEY, readFetchWorkflowId } from '../workflows/read-fetch.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../workflows/search-attributes.ts';

const DEADLINE_MS = 5000;

export interface FetchRequest {
  userId: string;
  provider: string;
  /** ISO dates; `to` includes its whole UTC day (the backfill input's convention). */
  from: string;
  to: string;
  kinds: readonly string[];
}

export interface ReadFetcher {
  /** True when the fetch was started or joined; false when Temporal could not be reached. */
  request(fetch: FetchRequest): Promise<boolean>;
}

export function createReadFetcher(deps: {
  client: Client;
  taskQueue: string;
  onError?: (error: unknown, fetch: FetchRequest) => void;
}): ReadFetcher {
  return {
    async request(fetch) {
      const range = { from: fetch.from, to: fetch.to, kinds: [...fetch.kinds] };
      try {
        await deps.client.connection.withDeadline(Date.now() + DEADLINE_MS, () =>
          deps.client.workflow.signalWithStart('readFetch', {
            taskQueue: deps.taskQueue,
            workflowId: readFetchWorkflowId(fetch.provider, fetch.userId),
            args: [{ userId: fetch.userId, provider: fetch.provider, ...range, purpose: 'read' }],
            signal: 'addRange',
            signalArgs: [range],
            priority: { priorityKey: READ_FETCH_PRIORITY_KEY },
            staticSummary: `Read API fetch ${fetch.provider} of ${fetch.userId}`,
            typedSearchAttributes: [
              { key: WEARHOUSE_USER, value: fetch.userId },
              { key: WEARHOUSE_PROVIDER, value: fetch.provider },
            ],
          }),
        );
        return true;
      } catch (error) {
        deps.onError?.(error, fetch);
        return false;
      }
    },
  };
}
