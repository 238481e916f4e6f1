// Shared pieces of the reliability and security suites: dates, the stored-vs-served comparison on
// any database, a worker process's resident memory, and the one-line figures each test prints (the
// numbers RELIABILITY.md quotes).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { WhoopKind, WhoopSandbox } from '../../providers/whoop/sandbox/types.ts';
import type { Sql } from '../../store/db.ts';
import { scheduleId } from '../../worker/schedules.ts';
import type { BackfillResult } from '../../workflows/backfill.ts';
import type { WhoopStack } from './whoop-stack.ts';

/** Seeded, so "random" kill moments are reproducible from a printed seed. */
export { seededRandom } from '../../providers/sandbox-kit/prng.ts';

export const KINDS: readonly WhoopKind[] = ['cycle', 'sleep', 'recovery', 'workout'];
export { DAY_MS, day, iso } from './whoop-stack.ts';

/**
 * Source ids the sandbox serves for [start, end) and every live id stored for the user and kind, both
 * sorted: callers backfill each user over one range only. (Not filtered by time: a recovery stored
 * before its cycle has no times of its own; the views take them from the cycle.)
 */
export async function servedAndStored(
  sql: Sql,
  sandbox: WhoopSandbox,
  userId: string,
  kind: WhoopKind,
  start: Date,
  end: Date,
): Promise<{ served: string[]; stored: string[] }> {
  const served = sandbox.control
    .served(userId, kind, start, end)
    .map((r) => r.id)
    .sort();
  const rows = await sql<{ source_id: string }[]>`
    select source_id from records
    where provider = 'whoop' and user_id = ${userId} and kind = ${kind} and deleted_at is null`;
  return { served, stored: rows.map((r) => r.source_id).sort() };
}

/**
 * Per kind, the stored set equals the served set exactly (no loss, no extra, no duplicate: source ids
 * are the key). Returns how many records were compared.
 */
export async function expectStoredEqualsServed(
  sql: Sql,
  sandbox: WhoopSandbox,
  userId: string,
  from: Date,
  end: Date,
  kinds: readonly WhoopKind[] = KINDS,
): Promise<number> {
  let compared = 0;
  for (const kind of kinds) {
    const { served, stored } = await servedAndStored(sql, sandbox, userId, kind, from, end);
    expect(served.length, `${userId} ${kind}: the sandbox serves something to compare`).toBeGreaterThan(0);
    expect(stored, `${userId} ${kind}`).toEqual(served);
    compared += served.length;
  }
  return compared;
}

/**
 * Connects a sandbox user (which pauses its sync schedule) and deletes the schedule outright, so no
 * incremental sync can store the last days in the middle of a test, even if something unpauses it.
 */
export async function connectUser(stack: WhoopStack, userId: string): Promise<void> {
  await stack.connectUser(userId);
  await stack.temporal.client.schedule.getHandle(scheduleId('whoop', userId)).delete();
}

export function expectCompleted(result: BackfillResult): void {
  expect(result.windowsTotal).toBeGreaterThan(0);
  expect(result.windowsDone).toBe(result.windowsTotal);
}

/** Resident set size of a process (Linux), in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for process ${pid}`);
  return Math.round(kb / 1024);
}

/** The test's figures on one line, for RELIABILITY.md. */
export function printFigures(test: string, figures: Record<string, unknown>): void {
  const parts = Object.entries(figures).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  console.log(`[figures] ${test}: ${parts.join(' ')}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
