// A second worker on the same host must not die obscurely because the first one already serves
// /metrics on METRICS_PORT: the Temporal Runtime binds the port inside its native core, where a
// failure is not a clear error. So the port is tried first, and a taken one stops the worker with a
// message naming the variable and the two ways out (another port, or 0 to turn metrics off).
import { createServer } from 'node:net';

export class MetricsPortInUseError extends Error {
  constructor(readonly bindAddress: string) {
    super(
      `METRICS_PORT: ${bindAddress} is already in use (another worker on this host?). ` +
        'Give each worker its own METRICS_PORT, or set METRICS_PORT=0 to turn its metrics endpoint off.',
    );
    this.name = 'MetricsPortInUseError';
  }
}

/** Resolves when host:port can be bound now; rejects with MetricsPortInUseError when it is taken. */
export async function assertMetricsPortFree(bindAddress: string): Promise<void> {
  const separator = bindAddress.lastIndexOf(':');
  const host = bindAddress.slice(0, separator);
  const port = Number(bindAddress.slice(separator + 1));
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new MetricsPortInUseError(bindAddress) : error);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
