// `wearhouse sandbox oura`: start an Oura sandbox, print where it listens and a token pair per user,
// and serve until SIGINT/SIGTERM. With --json it prints one JSON line instead, for a parent process.
import { parseArgs } from 'node:util';
import type { TokenPair } from '../../sandbox-kit/tokens.ts';
import { startOuraSandbox } from './server.ts';

const USAGE = `usage: wearhouse sandbox oura [--port N] [--host H] [--rpm N] [--users a,b] [--seed S]
                              [--history-days N] [--json]`;

function int(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${name} must be a whole number, got '${raw}'`);
  return value;
}

export async function runOuraSandboxCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      rpm: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string' },
      'history-days': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const rpm = int('rpm', values.rpm, 0);
  const sandbox = await startOuraSandbox({
    port: int('port', values.port, 0),
    host: values.host,
    seed: values.seed,
    historyDays: int('history-days', values['history-days'], 5 * 365 + 30),
    ...(rpm ? { appLimit: { limit: rpm, windowSeconds: 60 } } : {}),
  });
  const users: Record<string, TokenPair> = {};
  for (const key of (values.users ?? 'alice')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)) {
    users[key] = sandbox.control.issueTokens(key);
  }
  if (values.json) {
    console.log(
      JSON.stringify({
        url: sandbox.url,
        tokenUrl: sandbox.tokenUrl,
        authorizeUrl: sandbox.authorizeUrl,
        users,
      }),
    );
  } else {
    console.log(`Oura sandbox listening
  OURA_API_URL=${sandbox.url}
  OURA_TOKEN_URL=${sandbox.tokenUrl}
  OURA_AUTHORIZE_URL=${sandbox.authorizeUrl}
  OURA_CLIENT_ID=sandbox-client
  OURA_CLIENT_SECRET=sandbox-secret
  control: ${sandbox.url}/_sandbox  (POST users/:key/tokens, users/:key/mutate, users/:key/subscription, faults; GET stats)`);
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
