// The WHOOP sandbox as its own process (its CLI with --json), for measurements whose worker runs in
// this process: the provider's work then does not share the worker's event loop.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SandboxStats, TokenPair } from '../providers/whoop/sandbox/types.ts';

const cli = fileURLToPath(new URL('../providers/whoop/sandbox/cli.ts', import.meta.url));

export interface SandboxProcess {
  url: string;
  tokenUrl: string;
  users: Record<string, TokenPair>;
  stats(): Promise<SandboxStats>;
  stop(): Promise<void>;
}

export async function spawnSandbox(options: {
  users: string[];
  requestsPerMinute: number;
  requestsPerDay: number;
}): Promise<SandboxProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      '--json',
      '--rpm',
      String(options.requestsPerMinute),
      '--rpd',
      String(options.requestsPerDay),
      '--users',
      options.users.join(','),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('..', import.meta.url)) },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then(() => {
      throw new Error(`sandbox exited before it listened: ${stderr}`);
    }),
  ]);
  const info = JSON.parse(first) as {
    url: string;
    tokenUrl: string;
    controlUrl: string;
    users: Record<string, TokenPair>;
  };
  return {
    url: info.url,
    tokenUrl: info.tokenUrl,
    users: info.users,
    async stats() {
      const response = await fetch(`${info.controlUrl}/stats`);
      return (await response.json()) as SandboxStats;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
