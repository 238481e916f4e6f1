// `npm run demo`: the embedded stack, the WHOOP sandbox with three demo users, connect them,
// backfill a year, print what was stored and where to look; then keep the worker and the sync
// schedules running until Ctrl-C.
import { startWhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import { connect } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { startStack } from '../worker/stack/index.ts';
import { startWorker } from '../worker/worker.ts';
import type { BackfillProgress } from '../workflows/backfill.ts';
import { metricsAddress, untilSignal } from './commands.ts';
import { cipherFor, openClients, removeStackFile, writeStackFile } from './context.ts';
import { progressLine } from './follow.ts';
import { connectWithTokens } from './operations.ts';
import { temporalPathLine } from './temporal.ts';

const DEMO_USERS = ['alice', 'bob', 'carol'];
/** The sandbox grants the demo a larger budget than WHOOP's 100/min so a year takes about a minute. */
const DEMO_REQUESTS_PER_MINUTE = 1200;

const say = (line: string) => process.stdout.write(`${line}\n`);

export async function runDemo(baseConfig: Config): Promise<void> {
  // autoExtend: new data appears as real time passes, so the running sync schedules have something to fetch.
  const sandbox = await startWhoopSandbox({ requestsPerMinute: DEMO_REQUESTS_PER_MINUTE, autoExtend: true });
  say(`WHOOP sandbox listening on ${sandbox.url}`);
  const config: Config = {
    ...baseConfig,
    WHOOP_API_URL: sandbox.url,
    WHOOP_TOKEN_URL: sandbox.tokenUrl,
    WHOOP_CLIENT_ID: 'sandbox-client',
    WHOOP_CLIENT_SECRET: 'sandbox-secret',
    WHOOP_REQUESTS_PER_MINUTE: DEMO_REQUESTS_PER_MINUTE,
  };
  const stack = await startStack(config, { log: say });
  await writeStackFile(config, stack);
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const worker = await startWorker({
    config,
    ...stack,
    logger,
    metricsBindAddress: metricsAddress(config, '127.0.0.1'),
  });
  const clients = await openClients(config, stack);
  const shutdown = async () => {
    await clients.close();
    await worker.shutdown();
    await stack.stop();
    await sandbox.close();
    await removeStackFile(config);
  };
  try {
    const handles = [];
    for (const userId of DEMO_USERS) {
      const tokens = sandbox.control.issueTokens(userId);
      const { backfill } = await connectWithTokens(
        { sql: clients.sql, client: clients.client, cipher: cipherFor(config, stack), config },
        {
          provider: 'whoop',
          userId,
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresInSeconds: tokens.expiresIn,
          initialBackfillDays: 365,
        },
      );
      if (backfill) handles.push(backfill);
      say(`connected ${userId}: schedule sync:whoop:${userId}, backfill ${backfill?.workflowId}`);
    }
    const results = Promise.all(handles.map((h) => h.result()));
    let done = false;
    results.finally(() => {
      done = true;
    });
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const handle of handles) {
        const progress = await handle.query<BackfillProgress>('progress').catch(() => undefined);
        if (progress) say(`  ${progress.userId.padEnd(6)} ${progressLine(progress, 20)}`);
      }
    }
    await results;
    await printStored(stack.databaseUrl);
    say(`
Look around:
  Temporal UI   ${stack.temporalUiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows
  Postgres      psql '${stack.databaseUrl}'
  Try           select day, recovery_pct, hrv_ms, sleep_h, day_strain from daily_summary where user_id = 'alice' order by day desc limit 7;
  Status        npx wearhouse status
  Temporal CLI  npx wearhouse temporal workflow list   (or put it on PATH for the README's recipes:)
                ${await temporalPathLine()}
The worker and the sync schedules keep running; Ctrl-C stops everything.`);
  } catch (error) {
    await shutdown();
    throw error;
  }
  await untilSignal(shutdown);
}

async function printStored(databaseUrl: string) {
  const sql = connect(databaseUrl, { max: 1 });
  try {
    const rows = await sql<{ user_id: string; kind: string; records: number }[]>`
      select user_id, kind, count(*)::int as records from records where deleted_at is null
      group by 1, 2 order by 1, 2`;
    say('\nStored records:');
    for (const row of rows) say(`  ${row.user_id.padEnd(6)} ${row.kind.padEnd(10)} ${row.records}`);
  } finally {
    await sql.end();
  }
}
