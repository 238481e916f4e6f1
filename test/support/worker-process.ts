// A worker as its own OS process (`wearhouse worker`), so a test can SIGKILL it like a crash would.
import { type ChildProcess, spawn } from 'node:child_process';
import { inject } from 'vitest';
import type { TestTemporal } from './temporal.ts';

export interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface WorkerProcessOptions {
  /** Another Temporal server than the shared one. */
  temporalAddress?: string;
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
}

export function spawnWorkerProcess(
  temporal: TestTemporal,
  databaseUrl: string,
  options: WorkerProcessOptions = {},
): WorkerProcess {
  const c = temporal.config;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress ?? inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: c.TEMPORAL_TASK_QUEUE,
    TOKEN_ENCRYPTION_KEY: temporal.tokenEncryptionKey,
    WHOOP_API_URL: c.WHOOP_API_URL,
    WHOOP_TOKEN_URL: c.WHOOP_TOKEN_URL,
    WHOOP_CLIENT_ID: c.WHOOP_CLIENT_ID ?? '',
    WHOOP_CLIENT_SECRET: c.WHOOP_CLIENT_SECRET ?? '',
    WHOOP_REQUESTS_PER_MINUTE: String(c.WHOOP_REQUESTS_PER_MINUTE),
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    // The bundle global-setup built once: bundling at start costs each process 10-50 s on a busy
    // 2-core machine, which the kill tests pay per restart (the demo test covers bundling at start).
    WORKER_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    ...options.env,
  };
  const child = spawn(process.execPath, ['bin/wearhouse.mjs', 'worker'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  return {
    child,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
