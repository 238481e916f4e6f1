// `runSandboxCli`: start a WHOOP sandbox from the command line, print where it listens and a token pair
// per user, and serve until SIGINT/SIGTERM. With --json it prints one JSON line instead, for a parent
// process (the demo) to parse.
//
//   node --import tsx providers/whoop/sandbox/cli.ts --port 8787 --rpm 100 --users alice,bob

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startWhoopSandbox } from './server.ts';
import type { TokenPair } from './types.ts';

const USAGE = `usage: whoop-sandbox [--port N] [--host H] [--rpm N] [--rpd N] [--users a,b,c]
                     [--seed S] [--history-days N] [--client-id ID] [--client-secret S]
                     [--auto-extend] [--json]
  --auto-extend  add new data as the real clock moves (otherwise data is fixed at start-up)`;

function positiveInt(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1))
    throw new Error(`--${name} must be an integer, got '${raw}'`);
  return value;
}

export async function runSandboxCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      rpm: { type: 'string' },
      rpd: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string' },
      'history-days': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      json: { type: 'boolean' },
      'auto-extend': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const sandbox = await startWhoopSandbox({
    port: positiveInt('port', values.port, 0, true),
    host: values.host,
    requestsPerMinute: positiveInt('rpm', values.rpm, 100),
    requestsPerDay: positiveInt('rpd', values.rpd, 10_000),
    historyDays: positiveInt('history-days', values['history-days'], 5 * 365 + 30),
    seed: values.seed,
    clientId: values['client-id'],
    clientSecret: values['client-secret'],
    autoExtend: values['auto-extend'] ?? false,
  });
  const userKeys = (values.users ?? 'alice')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const users: Record<string, TokenPair> = {};
  for (const key of userKeys) users[key] = sandbox.control.issueTokens(key);
  const controlUrl = sandbox.url.replace(/\/developer$/, '/_sandbox');

  if (values.json) {
    console.log(
      JSON.stringify({
        url: sandbox.url,
        tokenUrl: sandbox.tokenUrl,
        authUrl: sandbox.authUrl,
        controlUrl,
        users,
      }),
    );
  } else {
    console.log(`WHOOP sandbox listening
  WHOOP_API_URL=${sandbox.url}
  WHOOP_TOKEN_URL=${sandbox.tokenUrl}
  WHOOP_CLIENT_ID=${values['client-id'] ?? 'sandbox-client'}
  WHOOP_CLIENT_SECRET=${values['client-secret'] ?? 'sandbox-secret'}
  authorize: ${sandbox.authUrl}
  control:   ${controlUrl}  (POST users/:key/tokens, users/:key/rescore, faults; GET stats)`);
    for (const [key, pair] of Object.entries(users)) {
      console.log(
        `  ${key}: --access-token ${pair.accessToken} --refresh-token ${pair.refreshToken} --expires-in ${pair.expiresIn}`,
      );
    }
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sandbox.close();
}

// Run directly (node --import tsx providers/whoop/sandbox/cli.ts ...), not when imported by `wearhouse`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSandboxCli(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(USAGE);
    process.exitCode = 1;
  });
}
