// `npm run demo`: the embedded stack, every provider's sandbox (providers that offer one) with its
// demo users, connect them, backfill a year, print what was stored and where to look; then keep
// the worker and the sync schedules running until Ctrl-C.
import { providerModules } from '../providers/modules.ts';
import type { ProviderDescriptor, RunningSandbox } from '../providers/types.ts';
import { connect } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { startStack } from '../worker/stack/index.ts';
import { startWorker } from '../worker/worker.ts';
import type { BackfillProgress } from '../workflows/backfill.ts';
import { cipherFor, openClients, removeStackFile, writeStackFile } from './context.ts';
import { progressLine } from './follow.ts';
import { metricsAddress, untilSignal } from './lifecycle.ts';
import { connectUser } from './operations.ts';
import { temporalPathLine } from './temporal.ts';

/** Sandboxes grant the demo a larger budget than the real apps' so a year takes about a minute. */
const DEMO_REQUESTS_PER_MINUTE = 1200;

const say = (line: string) => process.stdout.write(`${line}\n`);

interface DemoSandbox {
  descriptor: ProviderDescriptor;
  sandbox: RunningSandbox;
}

async function startSandboxes(): Promise<DemoSandbox[]> {
  const started: DemoSandbox[] = [];
  try {
    for (const module of providerModules) {
      if (!module.sandbox) continue;
      // autoExtend: new data appears as real time passes, so the running schedules have something to fetch.
      const sandbox = await (await module.sandbox()).start({
        requestsPerMinute: DEMO_REQUESTS_PER_MINUTE,
        autoExtend: true,
      });
      started.push({ descriptor: module.descriptor, sandbox });
      say(`${module.descriptor.displayName} sandbox listening on ${sandbox.url}`);
    }
  } catch (error) {
    await Promise.all(started.map(({ sandbox }) => sandbox.close()));
    throw error;
  }
  return started;
}

export async function runDemo(baseConfig: Config): Promise<void> {
  const sandboxes = await startSandboxes();
  // Each sandbox says which of its provider's variables point at it.
  const config: Config = Object.assign({}, baseConfig, ...sandboxes.map(({ sandbox }) => sandbox.config));
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
    await Promise.all(sandboxes.map(({ sandbox }) => sandbox.close()));
    await removeStackFile(config);
  };
  try {
    const handles = [];
    for (const { descriptor, sandbox } of sandboxes) {
      const provider = descriptor.name;
      for (const userId of sandbox.demoUsers) {
        const { backfill } = await connectUser(
          { sql: clients.sql, client: clients.client, cipher: cipherFor(config, stack), config },
          { provider, userId, grant: await sandbox.grant(userId), initialBackfillDays: 365 },
        );
        if (backfill) handles.push(backfill);
        say(`connected ${userId}: schedule sync:${provider}:${userId}, backfill ${backfill?.workflowId}`);
      }
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
        if (progress)
          say(`  ${progress.userId.padEnd(6)} ${progress.provider.padEnd(8)} ${progressLine(progress, 20)}`);
      }
    }
    await results;
    await printStored(stack.databaseUrl);
    const firstUser = sandboxes[0]?.sandbox.demoUsers[0] ?? 'alice';
    say(`
Look around:
  Temporal UI   ${stack.temporalUiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows
  Postgres      psql '${stack.databaseUrl}'
  Try           select day, recovery_pct, hrv_ms, sleep_h, day_strain from daily_summary where user_id = '${firstUser}' order by day desc limit 7;
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
    const rows = await sql<{ provider: string; user_id: string; kind: string; records: number }[]>`
      select provider, user_id, kind, count(*)::int as records from records where deleted_at is null
      group by 1, 2, 3 order by 1, 2, 3`;
    let provider: string | undefined;
    for (const row of rows) {
      if (row.provider !== provider) {
        provider = row.provider;
        say(`\nStored records (${provider}):`);
      }
      say(`  ${row.user_id.padEnd(6)} ${row.kind.padEnd(10)} ${row.records}`);
    }
  } finally {
    await sql.end();
  }
}
