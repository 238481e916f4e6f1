// The `wearhouse` commands. Each gets the validated config and the parsed command line.

import { reencryptAll } from '../store/connections.ts';
import { connect } from '../store/db.ts';
import { migrate, setGrafanaPassword } from '../store/migrate.ts';
import type { Config } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { startStack } from '../worker/stack/index.ts';
import { startWorker } from '../worker/worker.ts';
import { InvalidInputError } from '../workflows/inputs.ts';
import { cipherFor, openClients, removeStackFile, resolveEndpoints, writeStackFile } from './context.ts';
import { runDemo } from './demo.ts';
import { followBackfill } from './follow.ts';
import { runOAuthFlow } from './oauth.ts';
import { connectWithTokens, startBackfill, startSync } from './operations.ts';
import { serveCommands } from './serve-commands.ts';
import { printStatus } from './status.ts';

export interface CommandInput {
  config: Config;
  values: Record<string, string | boolean | undefined>;
  args: string[];
}

type Command = (input: CommandInput) => Promise<void>;

export const WHOOP_SCOPES =
  'offline read:cycles read:recovery read:sleep read:workout read:profile read:body_measurement';

const say = (line: string) => process.stdout.write(`${line}\n`);

function required(values: CommandInput['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInputError(`--${name} is required`);
  return value.trim();
}

/** Runs until Ctrl-C / SIGTERM, then runs `cleanup` once. */
export function untilSignal(cleanup: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      say(`\n${signal}: shutting down…`);
      cleanup().finally(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

const dev: Command = async ({ config }) => {
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
Ctrl-C stops everything.`);
  await untilSignal(async () => {
    await worker.shutdown();
    await stack.stop();
    await removeStackFile(config);
  });
};

const worker: Command = async ({ config }) => {
  const logger = createLogger({ level: config.LOG_LEVEL });
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS || !config.TOKEN_ENCRYPTION_KEY) {
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

/** METRICS_PORT=0 turns the Prometheus endpoint off. */
export function metricsAddress(config: Config, host: string): string | undefined {
  return config.METRICS_PORT > 0 ? `${host}:${config.METRICS_PORT}` : undefined;
}

const migrateCommand: Command = async ({ config }) => {
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

/** Tokens given on the command line, or else the provider's browser login (OAuth code flow). */
async function tokensFromArgsOrLogin(config: Config, provider: string, values: CommandInput['values']) {
  const accessToken = values['access-token'];
  const refreshToken = values['refresh-token'];
  const expiresIn = values['expires-in'] === undefined ? 3600 : Number(values['expires-in']);
  if (!Number.isInteger(expiresIn) || expiresIn < 0)
    throw new InvalidInputError('--expires-in must be whole seconds');
  if ((typeof accessToken === 'string') !== (typeof refreshToken === 'string')) {
    throw new InvalidInputError(
      'give both --access-token and --refresh-token, or neither for the browser login',
    );
  }
  if (typeof accessToken === 'string' && typeof refreshToken === 'string') {
    return { accessToken, refreshToken, expiresIn };
  }
  if (provider !== 'whoop') throw new InvalidInputError(`no browser login for provider "${provider}"`);
  if (!config.WHOOP_CLIENT_ID || !config.WHOOP_CLIENT_SECRET) {
    throw new InvalidInputError('the browser login needs WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET');
  }
  return runOAuthFlow({
    authUrl: config.WHOOP_AUTH_URL,
    tokenUrl: config.WHOOP_TOKEN_URL,
    clientId: config.WHOOP_CLIENT_ID,
    clientSecret: config.WHOOP_CLIENT_SECRET,
    redirectUrl: config.OAUTH_REDIRECT_URL,
    scope: WHOOP_SCOPES,
    open: (url) => {
      say(`Open this URL to log in to WHOOP and allow wearhouse:\n  ${url}`);
      say(`Waiting for the redirect to ${config.OAUTH_REDIRECT_URL} …`);
    },
  });
}

const connectCommand: Command = async ({ config, values, args }) => {
  const provider = args[0];
  if (!provider)
    throw new InvalidInputError('connect needs a provider: wearhouse connect whoop --user alice …');
  const userId = required(values, 'user');
  const tokens = await tokensFromArgsOrLogin(config, provider, values);
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    const result = await connectWithTokens(
      { sql: clients.sql, client: clients.client, cipher: cipherFor(config, endpoints), config },
      {
        provider,
        userId,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresInSeconds: tokens.expiresIn,
        initialBackfillDays: values['no-backfill'] ? 0 : config.INITIAL_BACKFILL_DAYS,
      },
    );
    say(
      `connected ${provider} for ${userId}: tokens stored encrypted, schedule sync:${provider}:${userId} ${result.schedule}`,
    );
    if (result.backfill) say(`initial backfill started: ${result.backfill.workflowId}`);
  } finally {
    await clients.close();
  }
};

const backfill: Command = async ({ config, values }) => {
  const input = {
    userId: required(values, 'user'),
    provider: required(values, 'provider'),
    from: required(values, 'from'),
    to: required(values, 'to'),
    ...(typeof values.kinds === 'string' ? { kinds: values.kinds.split(',').map((k) => k.trim()) } : {}),
  };
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    const handle = await startBackfill(clients.client, config, input);
    say(`started ${handle.workflowId} (run ${handle.firstExecutionRunId})`);
    if (values.follow) await followBackfill(handle);
  } finally {
    await clients.close();
  }
};

const sync: Command = async ({ config, values }) => {
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    const handle = await startSync(clients.client, config, {
      userId: required(values, 'user'),
      provider: required(values, 'provider'),
    });
    say(`started ${handle.workflowId}`);
    const result = await handle.result();
    say(JSON.stringify(result, null, 2));
  } finally {
    await clients.close();
  }
};

const status: Command = async ({ config, values }) => {
  const endpoints = await resolveEndpoints(config);
  const sql = connect(endpoints.databaseUrl, { max: 1 });
  try {
    await printStatus(sql, {
      userId: typeof values.user === 'string' ? values.user : undefined,
      json: Boolean(values.json),
    });
  } finally {
    await sql.end();
  }
};

const sandbox: Command = async ({ args, values }) => {
  if (args[0] !== 'whoop') throw new InvalidInputError('only `wearhouse sandbox whoop` exists so far');
  const { runSandboxCli } = await import('../providers/whoop/sandbox/cli.ts');
  const forwarded = ['port', 'rpm', 'users'].flatMap((name) =>
    typeof values[name] === 'string' ? [`--${name}`, values[name] as string] : [],
  );
  await runSandboxCli(forwarded);
};

const rotateKey: Command = async ({ config }) => {
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

export const commands: Record<string, Command> = {
  demo: ({ config }) => runDemo(config),
  dev,
  worker,
  migrate: migrateCommand,
  connect: connectCommand,
  backfill,
  sync,
  status,
  sandbox,
  'rotate-key': rotateKey,
  ...serveCommands,
};

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
