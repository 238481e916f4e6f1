// Span arithmetic for a backfill that takes more ranges while it runs (the `addRange` signal): what
// it has planned so far, per kind, as a few merged spans, and what of a new window is not in them.
// Pure and deterministic: it runs inside the workflow.
import type { WindowSpec } from '../activities/types.ts';

/** Half-open [start, end) in epoch milliseconds. */
export interface Span {
  start: number;
  end: number;
}

/** Per kind, the merged spans a backfill has planned (fetched, queued or found covered). */
export type PlannedSpans = Record<string, Span[]>;

/** `spans` plus `added`, sorted and merged (touching spans become one). */
export function mergeSpan(spans: readonly Span[], added: Span): Span[] {
  const sorted = [...spans, added].sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/** The parts of `span` outside every span of `taken` (merged, sorted). */
export function subtractSpans(span: Span, taken: readonly Span[]): Span[] {
  const parts: Span[] = [];
  let cursor = span.start;
  for (const t of taken) {
    if (t.end <= cursor) continue;
    if (t.start >= span.end) break;
    if (t.start > cursor) parts.push({ start: cursor, end: Math.min(t.start, span.end) });
    cursor = Math.max(cursor, t.end);
    if (cursor >= span.end) break;
  }
  if (cursor < span.end) parts.push({ start: cursor, end: span.end });
  return parts;
}

/** Whether every kind's part of [start, end) is planned already. */
export function isPlanned(planned: PlannedSpans, kinds: readonly string[], span: Span): boolean {
  return kinds.every((kind) => subtractSpans(span, planned[kind] ?? []).length === 0);
}

/** The windows cut down to what is not planned yet (a window may become two, or none). */
export function unplannedWindows(windows: readonly WindowSpec[], planned: PlannedSpans): WindowSpec[] {
  return windows.flatMap((window) =>
    subtractSpans(
      { start: Date.parse(window.start), end: Date.parse(window.end) },
      planned[window.kind] ?? [],
    ).map((part) => ({
      ...window,
      start: new Date(part.start).toISOString(),
      end: new Date(part.end).toISOString(),
    })),
  );
}

/** `planned` with [start, end) added for each kind. */
export function withPlanned(planned: PlannedSpans, kinds: readonly string[], span: Span): PlannedSpans {
  const next = { ...planned };
  for (const kind of kinds) next[kind] = mergeSpan(next[kind] ?? [], span);
  return next;
}
