// The `wearhouse` commands. Each gets the validated config and the parsed command line.

// Only what every command needs is imported here; each command imports the rest when it runs, so a
// long-lived process loads only its own code: `wearhouse worker` never loads serve's HTTP stack
// (fastify, swagger), embedded Postgres or the demo's sandboxes (bench/MEMORY.md, docs/operating.md
// _Worker memory_).
import type { Config } from '../worker/config.ts';
import { InvalidInputError } from '../workflows/inputs.ts';

export interface CommandInput {
  config: Config;
  values: Record<string, string | boolean | undefined>;
  args: string[];
}

type Command = (input: CommandInput) => Promise<void>;

const say = (line: string) => process.stdout.write(`${line}\n`);

function required(values: CommandInput['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInputError(`--${name} is required`);
  return value.trim();
}

const dev: Command = async ({ config }) => {
  const { createLogger } = await import('../worker/logger.ts');
  const { startStack } = await import('../worker/stack/index.ts');
  const { startWorker } = await import('../worker/worker.ts');
  const { removeStackFile, writeStackFile } = await import('./context.ts');
  const { metricsAddress, untilSignal } = await import('./lifecycle.ts');
  const { temporalPathLine } = await import('./temporal.ts');
  const logger = createLogger({ level: config.LOG_LEVEL });
  const stack = await startStack(config, { log: say });
  await writeStackFile(config, stack);
  const worker = await startWorker({
    config,
    ...stack,
    logger,
    metricsBindAddress: metricsAddress(config, '127.0.0.1'),
  });
  say(`\nwearhouse dev stack is up:
  Postgres     ${redactUrl(stack.databaseUrl)}
  Temporal     ${stack.temporalAddress} (namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE})
  Temporal UI  ${stack.temporalUiUrl ?? '(external server)'}
  Metrics      http://127.0.0.1:${config.METRICS_PORT}/metrics
  Temporal CLI npx wearhouse temporal …, or: ${await temporalPathLine()}
Ctrl-C stops everything.`);
  await untilSignal(async () => {
    await worker.shutdown();
    await stack.stop();
    await removeStackFile(config);
  });
};

const worker: Command = async ({ config }) => {
  const { createLogger } = await import('../worker/logger.ts');
  const { startWorker } = await import('../worker/worker.ts');
  const { metricsAddress, untilSignal } = await import('./lifecycle.ts');
  const logger = createLogger({ level: config.LOG_LEVEL });
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS || !config.TOKEN_ENCRYPTION_KEY) {
    const { resolveEndpoints } = await import('./context.ts');
    const endpoints = await resolveEndpoints(config);
    const running = await startWorker({
      config,
      ...endpoints,
      logger,
      metricsBindAddress: metricsAddress(config, '0.0.0.0'),
    });
    await untilSignal(() => running.shutdown());
    return;
  }
  const { connect } = await import('../store/db.ts');
  const { migrate } = await import('../store/migrate.ts');
  const sql = connect(config.DATABASE_URL, { max: 1 });
  await migrate(sql).finally(() => sql.end());
  const running = await startWorker({
    config,
    databaseUrl: config.DATABASE_URL,
    temporalAddress: config.TEMPORAL_ADDRESS,
    tokenEncryptionKey: config.TOKEN_ENCRYPTION_KEY,
    logger,
    metricsBindAddress: metricsAddress(config, '0.0.0.0'),
  });
  await untilSignal(() => running.shutdown());
};

// Builds the workflow bundle a worker loads with WORKER_WORKFLOW_BUNDLE (docs/operating.md, _Worker memory_).
const bundleWorkflows: Command = async ({ values }) => {
  const { writeWorkflowBundle } = await import('../worker/workflow-bundle.ts');
  const out = required(values, 'out');
  await writeWorkflowBundle(out);
  say(`workflow bundle written to ${out}`);
};

const migrateCommand: Command = async ({ config }) => {
  const { connect } = await import('../store/db.ts');
  const { migrate, setGrafanaPassword } = await import('../store/migrate.ts');
  const { resolveEndpoints } = await import('./context.ts');
  const { databaseUrl } = config.DATABASE_URL
    ? { databaseUrl: config.DATABASE_URL }
    : await resolveEndpoints(config);
  const sql = connect(databaseUrl, { max: 1 });
  try {
    const { applied, skipped } = await migrate(sql);
    if (config.GRAFANA_DB_PASSWORD) await setGrafanaPassword(sql, config.GRAFANA_DB_PASSWORD);
    say(
      `migrations: ${applied.length} applied${applied.length ? ` (${applied.join(', ')})` : ''}, ${skipped.length} already applied`,
    );
  } finally {
    await sql.end();
  }
};

const backfill: Command = async ({ config, values }) => {
  const { parseBackfillInput } = await import('../workflows/inputs.ts');
  const { openClients, resolveEndpoints } = await import('./context.ts');
  const { assertConnectionReady, explainWorkflowFailure } = await import('./explain.ts');
  const { followBackfill } = await import('./follow.ts');
  const { backfillWorkflowId, isRunning, startBackfill } = await import('./operations.ts');
  const input = {
    userId: required(values, 'user'),
    provider: required(values, 'provider'),
    from: required(values, 'from'),
    to: required(values, 'to'),
    ...(typeof values.kinds === 'string' ? { kinds: values.kinds.split(',').map((k) => k.trim()) } : {}),
  };
  parseBackfillInput(input);
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    await assertConnectionReady(clients.sql, input.provider, input.userId);
    const joined = await isRunning(clients.client, backfillWorkflowId(input.provider, input.userId));
    const handle = await startBackfill(clients.client, config, input);
    say(
      joined
        ? `added ${input.from} → ${input.to} to the running ${handle.workflowId} (run ${handle.signaledRunId})`
        : `started ${handle.workflowId} (run ${handle.signaledRunId})`,
    );
    if (values.follow) {
      const budget = config[`${input.provider.toUpperCase()}_REQUESTS_PER_MINUTE` as keyof Config];
      const requestsPerMinute = typeof budget === 'number' ? budget : undefined;
      await followBackfill(handle, { requestsPerMinute }).catch((error: unknown) => {
        throw explainWorkflowFailure(error, { workflowId: handle.workflowId, ...input });
      });
    }
  } finally {
    await clients.close();
  }
};

const sync: Command = async ({ config, values }) => {
  const { parseSyncInput } = await import('../workflows/inputs.ts');
  const { openClients, resolveEndpoints } = await import('./context.ts');
  const { assertConnectionReady, explainWorkflowFailure } = await import('./explain.ts');
  const { startSync } = await import('./operations.ts');
  const input = parseSyncInput({ userId: required(values, 'user'), provider: required(values, 'provider') });
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    await assertConnectionReady(clients.sql, input.provider, input.userId);
    const handle = await startSync(clients.client, config, input);
    say(`started ${handle.workflowId}`);
    const result = await handle.result().catch((error: unknown) => {
      throw explainWorkflowFailure(error, { workflowId: handle.workflowId, ...input });
    });
    say(JSON.stringify(result, null, 2));
  } finally {
    await clients.close();
  }
};

const status: Command = async ({ config, values }) => {
  const { connect } = await import('../store/db.ts');
  const { resolveEndpoints } = await import('./context.ts');
  const { printStatus } = await import('./status.ts');
  const { printBudgetStatus } = await import('./status-budget.ts');
  const endpoints = await resolveEndpoints(config);
  const sql = connect(endpoints.databaseUrl, { max: 1 });
  try {
    if (values.budget) await printBudgetStatus(sql, { json: Boolean(values.json) });
    else
      await printStatus(sql, {
        userId: typeof values.user === 'string' ? values.user : undefined,
        json: Boolean(values.json),
      });
  } finally {
    await sql.end();
  }
};

/** `wearhouse sandbox <provider>`: the provider's own sandbox, if it has one. */
const sandbox: Command = async ({ args, values }) => {
  const { moduleOf, providerModules } = await import('../providers/modules.ts');
  const module = args[0] ? moduleOf(args[0]) : undefined;
  if (!module?.sandbox) {
    const offered = providerModules.filter((m) => m.sandbox).map((m) => m.descriptor.name);
    throw new InvalidInputError(`no sandbox for "${args[0] ?? ''}" (sandboxes: ${offered.join(', ')})`);
  }
  const forwarded = ['port', 'rpm', 'users'].flatMap((name) =>
    typeof values[name] === 'string' ? [`--${name}`, values[name] as string] : [],
  );
  await (await module.sandbox()).runCli(forwarded);
};

const rotateKey: Command = async ({ config }) => {
  const { reencryptAll } = await import('../store/connections.ts');
  const { connect } = await import('../store/db.ts');
  const { cipherFor, resolveEndpoints } = await import('./context.ts');
  const endpoints = await resolveEndpoints(config);
  const cipher = cipherFor(config, endpoints);
  const sql = connect(endpoints.databaseUrl, { max: 1 });
  try {
    const changed = await reencryptAll(sql, cipher);
    say(`re-encrypted ${changed} connection(s) with key "${cipher.currentKeyId}"`);
  } finally {
    await sql.end();
  }
};

/** serve's commands (cli/serve-commands.ts), loaded with serve's HTTP stack only when one runs. */
const serveCommand =
  (name: 'serve' | 'ingest-token' | 'ingest'): Command =>
  async (input) =>
    (await import('./serve-commands.ts')).serveCommands[name](input);

export const commands: Record<string, Command> = {
  demo: async ({ config }) => (await import('./demo.ts')).runDemo(config),
  dev,
  worker,
  migrate: migrateCommand,
  'bundle-workflows': bundleWorkflows,
  connect: async (input) => (await import('./connect.ts')).connectCommand(input),
  backfill,
  sync,
  status,
  sandbox,
  'rotate-key': rotateKey,
  import: async (input) => (await import('./import.ts')).importCommand(input),
  serve: serveCommand('serve'),
  'ingest-token': serveCommand('ingest-token'),
  ingest: serveCommand('ingest'),
  'api-token': async (input) => (await import('./api-token.ts')).apiToken(input),
};

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
