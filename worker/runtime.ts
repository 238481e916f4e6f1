// The Temporal Runtime, installed once per process: its logs (SDK, workflow and activity loggers,
// and the native core's own, forwarded) go into the same pino stream; Prometheus metrics optional.
import { type LogLevel, type LogMetadata, Runtime } from '@temporalio/worker';
import type { Logger } from './logger.ts';

let installed = false;

export function installRuntime(logger: Logger, options: { metricsBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const temporalLogger = logger.child({ component: 'temporal' });
  const forward = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[
      level
    ];
    temporalLogger[method](meta ?? {}, message);
  };
  Runtime.install({
    logger: {
      log: forward,
      trace: (message, meta) => forward('TRACE', message, meta),
      debug: (message, meta) => forward('DEBUG', message, meta),
      info: (message, meta) => forward('INFO', message, meta),
      warn: (message, meta) => forward('WARN', message, meta),
      error: (message, meta) => forward('ERROR', message, meta),
    },
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(options.metricsBindAddress
        ? { metrics: { prometheus: { bindAddress: options.metricsBindAddress, countersTotalSuffix: true } } }
        : {}),
    },
    // The caller decides how to shut down (the dev stack stops Postgres and Temporal afterwards).
    shutdownSignals: [],
  });
}
