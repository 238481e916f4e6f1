// `temporal server start-dev` with persisted state, the UI, and wearhouse's search attributes.
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes.ts';
import { spawnTracked, stopProcess, waitFor } from './processes.ts';
import { findOrInstallTemporalCli } from './temporal-cli.ts';

export interface TemporalDevServerOptions {
  /** Directory for temporal.db; omit for in-memory state. */
  dataDir?: string;
  port: number;
  /** Omit to run headless. */
  uiPort?: number;
  namespace?: string;
  log?: (line: string) => void;
}

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The dev server's matching config that makes priority keys and fairness keys count. */
export const PRIORITY_DYNAMIC_CONFIG = ['matching.useNewMatcher=true', 'matching.enableFairness=true'];

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = options.log ?? (() => {});
  const cli = await findOrInstallTemporalCli(log);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace ?? 'default',
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    // Task priority and fairness keys (workflows/priorities.ts) only take effect with the new matcher.
    ...PRIORITY_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
  ];
  if (options.dataDir) {
    await mkdir(options.dataDir, { recursive: true });
    args.push('--db-filename', resolve(options.dataDir, 'temporal.db'));
  }
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');

  let stopping = false;
  // While it stops, the server's own system workers warn that their polls failed: expected then.
  const child = spawnTracked(cli, args, (line) => {
    if (!stopping || /level=(ERROR|FATAL)/.test(line)) log(line);
  });
  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(
        new Error(`temporal server start-dev exited with code ${code} (is port ${options.port} in use?)`),
      ),
    ),
  );
  exited.catch(() => {});
  await Promise.race([
    exited,
    waitFor(
      'Temporal dev server',
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.getSystemInfo({});
        } finally {
          await connection.close();
        }
      },
      60_000,
    ),
  ]);
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    process: child,
    stop: () => {
      stopping = true;
      return stopProcess(child);
    },
  };
}
