// Splitting spans into activity-sized windows. A window that ends inside the rescore lookback is
// never final; a span crossing that boundary is cut there, so its older part can become final.
import type { Span } from '../store/coverage.ts';

const DAY_MS = 86_400_000;

export interface PlannedWindow {
  kind: string;
  start: string;
  end: string;
  final: boolean;
}

export function splitIntoWindows(
  kind: string,
  spans: Span[],
  options: { windowDays: number; finalBefore: Date },
): PlannedWindow[] {
  const windows: PlannedWindow[] = [];
  const step = options.windowDays * DAY_MS;
  const boundary = options.finalBefore.getTime();
  for (const span of spans) {
    let cursor = span.start.getTime();
    const end = span.end.getTime();
    while (cursor < end) {
      let next = Math.min(cursor + step, end);
      if (cursor < boundary && next > boundary) next = boundary;
      windows.push({
        kind,
        start: new Date(cursor).toISOString(),
        end: new Date(next).toISOString(),
        final: next <= boundary,
      });
      cursor = next;
    }
  }
  return windows;
}
