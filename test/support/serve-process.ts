// `wearhouse serve` as its own OS process, so a test (or the bench) can SIGTERM or SIGKILL it.
import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from '../../worker/stack/processes.ts';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeProcessEnv {
  DATABASE_URL: string;
  TEMPORAL_ADDRESS: string;
  TEMPORAL_TASK_QUEUE: string;
  TOKEN_ENCRYPTION_KEY: string;
  [name: string]: string;
}

export async function spawnServeProcess(port: number, env: ServeProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/wearhouse.mjs', 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      WEARHOUSE_HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'serve',
    async () => {
      if (child.exitCode !== null) throw new Error(`serve exited: ${output.join('')}`);
      const response = await fetch(`${url}/health`);
      if (response.status !== 200) throw new Error(`health ${response.status}`);
    },
    60_000,
  );
  return {
    child,
    url,
    output,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
