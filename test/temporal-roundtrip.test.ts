// The harness really talks to Temporal and Postgres: workflows round-trip through a real worker.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { createTestTemporal, type TestTemporal } from './support/temporal.ts';

let db: TestDatabase;
let temporal: TestTemporal;

beforeAll(async () => {
  db = await createTestDatabase();
  temporal = await createTestTemporal({ databaseUrl: db.url });
  await temporal.startWorker();
});
afterAll(async () => {
  await temporal?.close();
  await db?.close();
});

function failureOf(error: unknown) {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as {
    type?: string;
    message: string;
    cause?: { type?: string; message: string };
  };
  return cause.cause ?? cause;
}

describe('a workflow through the real worker', () => {
  it('incrementalSync for a user with no connection fails at once, non-retryable, saying why', async () => {
    const error = await temporal.client.workflow
      .execute('incrementalSync', {
        taskQueue: temporal.config.TEMPORAL_TASK_QUEUE,
        workflowId: `roundtrip-${Date.now()}`,
        args: [{ userId: 'nobody', provider: 'whoop' }],
      })
      .catch((e: unknown) => e);
    const failure = failureOf(error);
    expect(failure.type).toBe('InvalidInput');
    expect(failure.message).toContain('nobody');
  });

  it('a backfill with bad input fails in the workflow before any activity runs', async () => {
    const handle = await temporal.client.workflow.start('backfill', {
      taskQueue: temporal.config.TEMPORAL_TASK_QUEUE,
      workflowId: `roundtrip-bad-${Date.now()}`,
      args: [{ userId: 'alice', provider: 'whoop', from: '2024-05-01', to: '2024-04-01' }],
    });
    const error = await handle.result().catch((e: unknown) => e);
    const failure = failureOf(error);
    expect(failure.type).toBe('InvalidInput');
    expect(failure.message).toContain('from (2024-05-01) must be before to (2024-04-01)');
    const history = await handle.fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    expect(scheduled).toHaveLength(0);
  });
});
