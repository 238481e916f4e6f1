// Real Postgres + real Temporal worker + the Junction sandbox over real HTTP, wired as in production;
// helpers to connect sandbox users (validated against the sandbox, as `wearhouse connect` does) and
// to compare what is stored with what the sandbox serves.

import { inject } from 'vitest';
import { connectCommand } from '../../cli/connect.ts';
import type { JunctionSummaryKind } from '../../providers/junction/descriptor.ts';
import { provider as junction } from '../../providers/junction/index.ts';
import { mapJunctionDocuments } from '../../providers/junction/mapping.ts';
import { type JunctionSandbox, startJunctionSandbox } from '../../providers/junction/sandbox/index.ts';
import { createLocalBudget } from '../../providers/rate-budget.ts';
import type { ProviderRuntime } from '../../providers/types.ts';
import { scheduleId } from '../../worker/schedules.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { createTestTemporal, type TestTemporal } from './temporal.ts';
import { DAY_MS } from './whoop-stack.ts';

export interface JunctionStack {
  db: TestDatabase;
  temporal: TestTemporal;
  sandbox: JunctionSandbox;
  /** The Junction runtime as the worker builds it (webhook verification and parsing). */
  runtime: ProviderRuntime;
  connectUser(name: string): Promise<void>;
  /** `wearhouse connect junction --user U --junction-user-id ID --no-backfill`, as the CLI runs it. */
  connect(userId: string, junctionUserId: string): Promise<void>;
  /** Document ids the sandbox serves whose start lies in [start, end), vs the live ids stored. */
  compare(
    name: string,
    kind: JunctionSummaryKind,
    start: Date,
    end: Date,
  ): Promise<{ served: string[]; stored: string[] }>;
  close(): Promise<void>;
}

export async function startJunctionStack(): Promise<JunctionStack> {
  const sandbox = await startJunctionSandbox({ historyDays: 400 });
  const db = await createTestDatabase();
  const env = {
    JUNCTION_API_URL: sandbox.url,
    JUNCTION_API_KEY: sandbox.apiKey,
    JUNCTION_WEBHOOK_SECRET: sandbox.webhookSecret,
    JUNCTION_REQUESTS_PER_MINUTE: '6000',
  };
  const temporal = await createTestTemporal({ databaseUrl: db.url, env });
  await temporal.startWorker();
  const config = temporal.config as unknown as Parameters<typeof junction.createRuntime>[0];
  const runtime = junction.createRuntime(config, {
    budget: createLocalBudget(6000),
    logger: { debug() {}, info() {}, warn() {} },
  });
  const stack: JunctionStack = {
    db,
    temporal,
    sandbox,
    runtime,
    connect: async (userId, junctionUserId) => {
      await connectCommand({
        config: {
          ...temporal.config,
          DATABASE_URL: db.url,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TOKEN_ENCRYPTION_KEY: temporal.tokenEncryptionKey,
        },
        values: { user: userId, 'junction-user-id': junctionUserId, 'no-backfill': true },
        args: ['junction'],
      });
    },
    async connectUser(name) {
      await stack.connect(name, sandbox.userId(name));
      // Tests drive syncs themselves: a scheduled one firing mid-test would store unasked-for data.
      await temporal.client.schedule.getHandle(scheduleId('junction', name)).pause('tests drive syncs');
    },
    async compare(name, kind, start, end) {
      const docs = sandbox.served(
        name,
        kind,
        new Date(start.getTime() - 2 * DAY_MS),
        new Date(end.getTime() + 2 * DAY_MS),
      );
      const served = mapJunctionDocuments(kind, docs)
        .records.filter((r) => r.startAt && r.startAt >= start && r.startAt < end)
        .map((r) => r.sourceId)
        .sort();
      const rows = await db.sql<{ source_id: string }[]>`
        select source_id from records
        where provider = 'junction' and user_id = ${name} and kind = ${kind} and deleted_at is null
          and start_at >= ${start} and start_at < ${end}`;
      return { served, stored: rows.map((r) => r.source_id).sort() };
    },
    async close() {
      await temporal.close();
      await db.close();
      await sandbox.close();
    },
  };
  return stack;
}
