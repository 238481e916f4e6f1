// Periodic log of the process's memory, split the way the bounds in docs/operating.md (_Worker
// memory_) are set: V8 heap (used / reserved), memory V8 tracks outside its heap (`external`, of which
// `arrayBuffers`: Buffers, socket and stream chunks), and the resident set that holds all of that plus
// the Temporal native runtime and the workflow thread.
import type { Logger } from './logger.ts';

const mb = (bytes: number) => Math.round(bytes / 1_048_576);

export function memoryFields() {
  const m = process.memoryUsage();
  return {
    rssMb: mb(m.rss),
    heapUsedMb: mb(m.heapUsed),
    heapTotalMb: mb(m.heapTotal),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
  };
}

/** Logs memoryFields() every `seconds` (0: never); returns the stop function. */
export function startMemoryLog(logger: Logger, seconds: number): () => void {
  if (seconds <= 0) return () => {};
  const timer = setInterval(() => logger.info({ memory: memoryFields() }, 'worker memory'), seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
