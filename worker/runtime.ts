// The Temporal Runtime, installed once per process: its logs (SDK, workflow and activity loggers,
// and the native core's own, forwarded) go into the same pino stream; Prometheus metrics optional.
// The Runtime's metric meter also carries the project's own metrics (worker/metrics.ts).
import { type LogLevel, type LogMetadata, Runtime } from '@temporalio/worker';
import { describeError, isErrorLike } from '../workflows/error-fields.ts';
import type { Logger } from './logger.ts';
import { HISTOGRAM_BUCKETS } from './metrics.ts';

let installed = false;
let shuttingDown = false;

/**
 * Called when a worker starts its orderly shutdown: the pollers it cancels and the server going away
 * after it are expected then, so the core's "Failed to poll for task" warnings are logged at debug.
 */
export function expectShutdownNoise(): void {
  shuttingDown = true;
}

const SHUTDOWN_NOISE = /Failed to poll for task|Connection refused|transport error|broken pipe/i;

/** Whether this process already installed the Runtime (and bound its metrics port, if any). */
export function runtimeInstalled(): boolean {
  return installed;
}

export function installRuntime(logger: Logger, options: { metricsBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const temporalLogger = logger.child({ component: 'temporal' });
  const forward = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[
      level
    ];
    // The workflows log their failure themselves ("workflow failed", with its class and type): the
    // SDK's own line gets the error as cloned across the worker thread, which keeps only the messages.
    if (message === 'Workflow failed') return temporalLogger.debug(sameNames(meta), message);
    if (shuttingDown && (level === 'WARN' || level === 'ERROR') && SHUTDOWN_NOISE.test(message)) {
      return temporalLogger.debug(sameNames(meta), message);
    }
    temporalLogger[method](sameNames(meta), message);
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
        ? {
            metrics: {
              prometheus: {
                bindAddress: options.metricsBindAddress,
                countersTotalSuffix: true,
                histogramBucketOverrides: HISTOGRAM_BUCKETS,
              },
            },
          }
        : {}),
    },
    // The caller decides how to shut down (the dev stack stops Postgres and Temporal afterwards).
    shutdownSignals: [],
  });
}

/**
 * The SDK names the run `workflowRunId` and the activity `activityType` on activity lines; ours say
 * `runId` and `activity` (as the SDK's workflow lines do for the run), so one query finds both. The
 * task token is dropped: it is a capability to complete the activity, not something to log.
 */
function sameNames(meta: LogMetadata | undefined): LogMetadata {
  if (!meta) return {};
  const { workflowRunId, activityType, taskToken: _taskToken, ...rest } = meta;
  for (const [key, value] of Object.entries(rest)) {
    // (Not again for what a workflow described already: that has its class.)
    if (isErrorLike(value) && !('class' in value)) rest[key] = describeError(value);
  }
  return {
    ...rest,
    ...(workflowRunId === undefined ? {} : { runId: workflowRunId }),
    ...(activityType === undefined ? {} : { activity: activityType }),
  };
}
