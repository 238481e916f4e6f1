// What long-running commands share (dev, worker, demo): waiting for a signal, the metrics address.
import type { Config } from '../worker/config.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Runs until Ctrl-C / SIGTERM, then runs `cleanup` once. */
export function untilSignal(cleanup: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      say(`\n${signal}: shutting down…`);
      cleanup().finally(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** METRICS_PORT=0 turns the Prometheus endpoint off. */
export function metricsAddress(config: Config, host: string): string | undefined {
  return config.METRICS_PORT > 0 ? `${host}:${config.METRICS_PORT}` : undefined;
}
