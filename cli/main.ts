// `wearhouse <command>`: parses the command line, loads the configuration, dispatches.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../worker/config.ts';
import { InvalidInputError } from '../workflows/inputs.ts';
import { commands } from './commands.ts';
import { externalUserIdFlags } from './connect.ts';
import { CliError } from './explain.ts';
import { runTemporalCli } from './temporal.ts';

const usage = `wearhouse — durable, observable ETL for wearable data

Usage: wearhouse <command> [options]

  demo                         embedded stack + every provider sandbox + demo users, backfill a year, keep syncing
  dev                          embedded Postgres + Temporal (UI :8233) + migrations + worker
  worker                       run a worker against DATABASE_URL / TEMPORAL_ADDRESS
  migrate                      apply sql/ migrations
  bundle-workflows --out FILE  build the workflow bundle a worker loads with WORKER_WORKFLOW_BUNDLE
  connect <provider> --user U  OAuth: [--access-token A --refresh-token R --expires-in S] (else browser login)
                               API key: --external-user-id X (the user's id at the provider)
  backfill --user U --provider P --from D --to D [--kinds a,b] [--follow]
  sync --user U --provider P
  status [--user U] [--json]    connections, freshness, coverage; then the budget plan and today's forecast
  status --budget [--json]     the budget plan and forecast only
  import apple-health --user U FILE [--follow]   import an Apple Health export (export.zip or its XML)
  sandbox <provider> [--port N] [--rpm N] [--users a,b]
  rotate-key                   re-encrypt stored tokens with the current TOKEN_ENCRYPTION_KEY
  temporal <args…>             the Temporal CLI (installed into .tools/ if missing), against the dev stack
  serve                        HTTP front door on WEARHOUSE_HTTP_PORT (push ingest, webhooks, hosted connect)
  ingest-token create --user U | revoke --id N | --user U
  ingest replay --batch ID | --all
  api-token create --user U | --all-users · revoke --id N | --user U · list   read-API tokens
`;

export const options = {
  ...Object.fromEntries(externalUserIdFlags().map((flag) => [flag, { type: 'string' } as const])),
  user: { type: 'string' },
  provider: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  kinds: { type: 'string' },
  follow: { type: 'boolean' },
  json: { type: 'boolean' },
  budget: { type: 'boolean' },
  'access-token': { type: 'string' },
  'refresh-token': { type: 'string' },
  'expires-in': { type: 'string' },
  'no-backfill': { type: 'boolean' },
  port: { type: 'string' },
  rpm: { type: 'string' },
  users: { type: 'string' },
  id: { type: 'string' },
  batch: { type: 'string' },
  all: { type: 'boolean' },
  'all-users': { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<void> {
  try {
    // Everything after `temporal` belongs to the Temporal CLI: no parsing of ours.
    if (argv[0] === 'temporal') {
      process.exitCode = await runTemporalCli(loadConfig(), argv.slice(1));
      return;
    }
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const [name, ...rest] = positionals;
    if (!name || values.help) {
      process.stdout.write(usage);
      return;
    }
    const command = commands[name as keyof typeof commands];
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const config = loadConfig();
    await command({ config, values, args: rest });
  } catch (error) {
    process.exitCode = 1;
    if (error instanceof CliError) {
      process.stderr.write(`wearhouse: ${error.message}\n  hint: ${error.hint}\n`);
    } else if (
      error instanceof ConfigError ||
      error instanceof InvalidInputError ||
      error instanceof UsageError
    ) {
      process.stderr.write(`wearhouse: ${error.message}\n`);
    } else if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`wearhouse: ${error.message}\n\n${usage}`);
    } else {
      process.stderr.write(`wearhouse: ${withCauses(error)}\n`);
    }
  }
}

/** The message and its causes' ("Failed to connect to Temporal server: … invalid API key"). */
function withCauses(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e !== undefined && messages.length < 5; e = (e as Error).cause) {
    const message = e instanceof Error ? e.message : String(e);
    if (!messages.includes(message)) messages.push(message);
    if (!(e instanceof Error)) break;
  }
  return messages.join(': ');
}

export class UsageError extends Error {}
