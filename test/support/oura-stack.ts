// Real Postgres + real Temporal worker + the Oura sandbox over real HTTP, wired as in production;
// helpers to connect sandbox users, start workflows with the Temporal CLI, and compare what is stored
// with what the sandbox serves.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { connectWithTokens } from '../../cli/operations.ts';
import { startOuraSandbox } from '../../providers/oura/sandbox/index.ts';
import type { OuraSandbox, OuraSandboxKind, OuraSandboxOptions } from '../../providers/oura/sandbox/types.ts';
import { createTokenCipher } from '../../store/crypto.ts';
import { scheduleId } from '../../worker/schedules.ts';
import { findOrInstallTemporalCli } from '../../worker/stack/temporal-cli.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { createTestTemporal, type TestTemporal } from './temporal.ts';

const run = promisify(execFile);

export interface OuraStack {
  db: TestDatabase;
  temporal: TestTemporal;
  sandbox: OuraSandbox;
  /** Connects as `wearhouse connect` does; the sync schedule is paused (tests drive syncs). */
  connectUser(userId: string): Promise<{ accessToken: string; refreshToken: string }>;
  /** `temporal workflow start --type <type> --input <json>`, then waits for the result. */
  startWithCli(type: 'backfill' | 'incrementalSync', input: Record<string, unknown>): Promise<unknown>;
  /** Ids the sandbox serves for the days [from, to] (both inclusive) vs the live ids stored for them. */
  compare(
    userId: string,
    kind: OuraSandboxKind,
    from: string,
    to: string,
  ): Promise<{ served: string[]; stored: string[] }>;
  close(): Promise<void>;
}

export async function startOuraStack(
  options: { sandbox?: OuraSandboxOptions; rpm?: number; env?: Record<string, string> } = {},
): Promise<OuraStack> {
  const rpm = options.rpm ?? 6000;
  const sandbox = await startOuraSandbox(options.sandbox);
  const db = await createTestDatabase();
  const temporal = await createTestTemporal({
    databaseUrl: db.url,
    env: {
      OURA_API_URL: sandbox.url,
      OURA_TOKEN_URL: sandbox.tokenUrl,
      OURA_AUTHORIZE_URL: sandbox.authorizeUrl,
      OURA_CLIENT_ID: 'sandbox-client',
      OURA_CLIENT_SECRET: 'sandbox-secret',
      OURA_REQUESTS_PER_MINUTE: String(rpm),
      ...options.env,
    },
  });
  await temporal.startWorker();
  const cipher = createTokenCipher(temporal.tokenEncryptionKey);
  const cli = await findOrInstallTemporalCli();
  let started = 0;
  return {
    db,
    temporal,
    sandbox,
    async connectUser(userId) {
      const tokens = sandbox.control.issueTokens(userId);
      await connectWithTokens(
        { sql: db.sql, client: temporal.client, cipher, config: temporal.config },
        {
          provider: 'oura',
          userId,
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresInSeconds: tokens.expiresIn,
          initialBackfillDays: 0,
        },
      );
      await temporal.client.schedule
        .getHandle(scheduleId('oura', userId))
        .pause('tests drive syncs themselves');
      return tokens;
    },
    async startWithCli(type, input) {
      const workflowId = `oura-test-${type}-${Date.now()}-${started++}`;
      await run(cli, [
        'workflow',
        'start',
        '--address',
        inject('temporalAddress'),
        '--namespace',
        temporal.config.TEMPORAL_NAMESPACE,
        '--task-queue',
        temporal.config.TEMPORAL_TASK_QUEUE,
        '--type',
        type,
        '--workflow-id',
        workflowId,
        '--input',
        JSON.stringify(input),
      ]);
      return temporal.client.workflow.getHandle(workflowId).result();
    },
    async compare(userId, kind, from, to) {
      const served = sandbox.control
        .documents(userId, kind, from, to)
        .map((d) => String(d.id))
        .sort();
      const rows = await db.sql<{ source_id: string }[]>`
        select source_id from records
        where provider = 'oura' and user_id = ${userId} and kind = ${kind} and deleted_at is null
          and local_day >= ${from}::date and local_day <= ${to}::date`;
      return { served, stored: rows.map((r) => r.source_id).sort() };
    },
    async close() {
      await temporal.close();
      await db.close();
      await sandbox.close();
    },
  };
}

/** Data requests (everything but the token endpoint) the sandbox has served. */
export function ouraDataRequests(sandbox: OuraSandbox): number {
  return Object.entries(sandbox.control.stats().byEndpoint)
    .filter(([endpoint]) => endpoint.includes('/v2/'))
    .reduce((sum, [, count]) => sum + count, 0);
}
