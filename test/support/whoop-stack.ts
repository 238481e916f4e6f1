// Real Postgres + real Temporal worker + the WHOOP sandbox over real HTTP, wired together as in
// production; helpers to connect sandbox users and compare what is stored with what was served.

import { connectWithTokens } from '../../cli/operations.ts';
import { startWhoopSandbox } from '../../providers/whoop/sandbox/index.ts';
import type { WhoopKind, WhoopSandbox, WhoopSandboxOptions } from '../../providers/whoop/sandbox/types.ts';
import { createTokenCipher } from '../../store/crypto.ts';
import { scheduleId } from '../../worker/schedules.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { createTestTemporal, type TestTemporal } from './temporal.ts';

export interface WhoopStack {
  db: TestDatabase;
  temporal: TestTemporal;
  sandbox: WhoopSandbox;
  connectUser(userId: string, options?: { keepScheduleRunning?: boolean }): Promise<void>;
  /**
   * Connects as `wearhouse connect` does. The sync schedule it creates is paused unless asked
   * otherwise: a scheduled sync firing mid-test would store data the test did not ask for.
   */
  connectUserWith(
    userId: string,
    tokens: { accessToken: string; refreshToken: string; expiresIn: number },
    options?: { keepScheduleRunning?: boolean },
  ): Promise<void>;
  /** Source ids the sandbox serves for [start, end) vs the live (not deleted) ids stored. */
  compare(
    userId: string,
    kind: WhoopKind,
    start: Date,
    end: Date,
  ): Promise<{ served: string[]; stored: string[] }>;
  close(): Promise<void>;
}

export const DAY_MS = 86_400_000;

/** Midnight UTC `offsetDays` from today. */
export const day = (offsetDays: number) => new Date(Math.floor(Date.now() / DAY_MS + offsetDays) * DAY_MS);
/** The date part (YYYY-MM-DD), as backfill inputs take it. */
export const iso = (date: Date) => date.toISOString().slice(0, 10);

export async function startWhoopStack(
  options: {
    sandbox?: WhoopSandboxOptions;
    env?: Record<string, string>;
    worker?: boolean;
    /** Pins the worker's planning clock (give the sandbox the same one). */
    now?: () => Date;
  } = {},
): Promise<WhoopStack> {
  const rpm = options.sandbox?.requestsPerMinute ?? 6000;
  const sandbox = await startWhoopSandbox({ requestsPerMinute: rpm, ...options.sandbox });
  const db = await createTestDatabase();
  const temporal = await createTestTemporal({
    databaseUrl: db.url,
    env: {
      WHOOP_API_URL: sandbox.url,
      WHOOP_TOKEN_URL: sandbox.tokenUrl,
      WHOOP_CLIENT_ID: 'sandbox-client',
      WHOOP_CLIENT_SECRET: 'sandbox-secret',
      WHOOP_REQUESTS_PER_MINUTE: String(rpm),
      ...options.env,
    },
  });
  if (options.worker !== false) await temporal.startWorker({ now: options.now });
  const cipher = createTokenCipher(temporal.tokenEncryptionKey);
  const stack: WhoopStack = {
    db,
    temporal,
    sandbox,
    connectUser(userId, options) {
      return stack.connectUserWith(userId, sandbox.control.issueTokens(userId), options);
    },
    async connectUserWith(userId, tokens, options = {}) {
      await connectWithTokens(
        { sql: db.sql, client: temporal.client, cipher, config: temporal.config },
        {
          provider: 'whoop',
          userId,
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresInSeconds: tokens.expiresIn,
          initialBackfillDays: 0,
        },
      );
      if (!options.keepScheduleRunning) {
        await temporal.client.schedule
          .getHandle(scheduleId('whoop', userId))
          .pause('tests drive syncs themselves');
      }
    },
    async compare(userId, kind, start, end) {
      const served = sandbox.control
        .records(userId, kind, start, end)
        .map((r) =>
          String((r as { id?: unknown; cycle_id?: unknown }).id ?? (r as { cycle_id: unknown }).cycle_id),
        )
        .sort();
      const rows = await db.sql<{ source_id: string }[]>`
        select source_id from records
        where provider = 'whoop' and user_id = ${userId} and kind = ${kind} and deleted_at is null
          and start_at >= ${start} and start_at < ${end}
        order by source_id`;
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

/** Data-endpoint requests (everything but the token endpoint) the sandbox has served. */
export function dataRequests(sandbox: WhoopSandbox): number {
  const { byEndpoint } = sandbox.control.stats();
  return Object.entries(byEndpoint)
    .filter(([endpoint]) => !endpoint.includes('/oauth/'))
    .reduce((sum, [, count]) => sum + count, 0);
}
