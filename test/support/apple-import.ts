// Helpers for Apple Health import tests: a database + Temporal worker, starting the workflow the way
// the CLI does, and reading back what was stored.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../store/db.ts';
import type { ImportAppleHealthInput, ImportWorkflowProgress } from '../../workflows/import-apple-health.ts';

export async function runImport(
  client: Client,
  taskQueue: string,
  input: ImportAppleHealthInput,
): Promise<ImportWorkflowProgress> {
  const handle = await startImport(client, taskQueue, input);
  return handle.result();
}

export function startImport(client: Client, taskQueue: string, input: ImportAppleHealthInput) {
  return client.workflow.start('importAppleHealth', {
    taskQueue,
    workflowId: `import:apple_health:${input.userId}:${randomBytes(4).toString('hex')}`,
    args: [input],
  });
}

export async function storedKinds(sql: Sql, userId: string): Promise<Record<string, number>> {
  const rows = await sql<{ kind: string; n: number }[]>`
    select kind, count(*)::int as n from records
    where provider = 'apple_health' and user_id = ${userId} group by kind`;
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}

/** Every stored record as "kind|source_id|md5(payload)|start|source": for exact comparisons. */
export async function fingerprint(sql: Sql, userId: string): Promise<string[]> {
  const rows = await sql<{ f: string }[]>`
    select kind || '|' || source_id || '|' || md5(payload::text) || '|' || coalesce(start_at::text, '') || '|'
           || coalesce(tz_offset, '') || '|' || coalesce(local_day::text, '') || '|' || coalesce(source, '') as f
    from records where provider = 'apple_health' and user_id = ${userId} order by 1`;
  return rows.map((r) => r.f);
}
