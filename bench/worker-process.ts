// The production worker as its own OS process (`node bin/wearhouse.mjs worker`, as
// test/support/worker-process.ts runs it), with its resident memory sampled from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/wearhouse.mjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerProcessOptions {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  tokenKey: string;
  /** The provider's variables (BenchSandbox.env); without them, WHOOP's from the fields below. */
  providerEnv?: Record<string, string>;
  apiUrl?: string;
  tokenUrl?: string;
  requestsPerMinute?: number;
  requestsPerDay?: number;
  /** More variables (the memory knobs: WORKER_MAX_CACHED_WORKFLOWS, NODE_OPTIONS, …). */
  env?: Record<string, string>;
}

export interface MemorySample {
  /** ms since the process was spawned. */
  at: number;
  rssKb: number;
  hwmKb: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  samples: MemorySample[];
  /** Resolves once the worker logged that it polls its task queue. */
  ready: Promise<void>;
  /** Last lines of output, for error messages. */
  tail(): string;
  /** Every `worker memory` log line's fields (WORKER_MEMORY_LOG_SECONDS), in order. */
  memoryLog: Record<string, number>[];
  stop(): Promise<void>;
}

export function spawnWorker(options: WorkerProcessOptions, sampleEveryMs = 100): WorkerProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    TOKEN_ENCRYPTION_KEY: options.tokenKey,
    ...(options.providerEnv ?? whoopEnv(options)),
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'worker'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the worker process');
  const pid = child.pid;
  const lines: string[] = [];
  const samples: MemorySample[] = [];
  const memoryLog: Record<string, number>[] = [];
  let onReady: () => void = () => {};
  let onFail: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  ready.catch(() => {});
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 40) lines.shift();
        if (line.includes('"msg":"worker started"')) onReady();
        if (line.includes('"msg":"worker memory"')) memoryLog.push(JSON.parse(line).memory);
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) =>
    onFail(new Error(`worker exited (${code ?? signal}) before it was ready:\n${lines.join('\n')}`)),
  );

  let sampling = false;
  const timer = setInterval(() => {
    if (sampling) return;
    sampling = true;
    readMemory(pid)
      .then((sample) => {
        if (sample) samples.push({ at: performance.now() - started, ...sample });
      })
      .finally(() => {
        sampling = false;
      });
  }, sampleEveryMs);

  return {
    child,
    pid,
    samples,
    ready,
    tail: () => lines.join('\n'),
    memoryLog,
    async stop() {
      clearInterval(timer);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    },
  };
}

/** VmRSS and VmHWM (peak resident set) of a process, in kB; undefined once it is gone. */
export async function readMemory(pid: number): Promise<{ rssKb: number; hwmKb: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return undefined;
  }
}

function whoopEnv(options: WorkerProcessOptions): Record<string, string> {
  if (!options.apiUrl || !options.tokenUrl || !options.requestsPerMinute) {
    throw new Error('spawnWorker needs providerEnv, or apiUrl, tokenUrl and requestsPerMinute');
  }
  return {
    WHOOP_API_URL: options.apiUrl,
    WHOOP_TOKEN_URL: options.tokenUrl,
    WHOOP_CLIENT_ID: 'sandbox-client',
    WHOOP_CLIENT_SECRET: 'sandbox-secret',
    WHOOP_REQUESTS_PER_MINUTE: String(options.requestsPerMinute),
    WHOOP_REQUESTS_PER_DAY: String(options.requestsPerDay ?? 10_000_000),
  };
}
