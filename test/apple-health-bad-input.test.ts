// Bad files given to importAppleHealth: a clear, non-retried failure naming the problem, the import
// ledger saying `failed` (never `completed`), and nothing reported as done.
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { writeExportXml, writeExportZip } from './support/apple-export/write.ts';
import { startImport } from './support/apple-import.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { createTestTemporal, type TestTemporal } from './support/temporal.ts';

let db: TestDatabase;
let temporal: TestTemporal;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  temporal = await createTestTemporal({ databaseUrl: db.url });
  await temporal.startWorker();
  dir = await mkdtemp(join(tmpdir(), 'wearhouse-apple-bad-'));
});

afterAll(async () => {
  await temporal?.close();
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the import and returns the failure's innermost cause (type and message). */
async function failure(userId: string, path: string) {
  const handle = await startImport(temporal.client, temporal.config.TEMPORAL_TASK_QUEUE, {
    userId,
    path,
    options: { batchElements: 500 },
  });
  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  let cause = (error as WorkflowFailedError).cause as (Error & { type?: string; cause?: Error }) | undefined;
  while (cause?.cause) cause = cause.cause as typeof cause;
  const [row] = await db.sql<{ status: string; error: string | null; attempts: number }[]>`
    select status, error, attempts from file_imports where user_id = ${userId}`;
  return { type: cause?.type, message: cause?.message ?? '', ledger: row };
}

async function zipOf(path: string, entries: Record<string, string>) {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  await writeFile(path, Buffer.concat(chunks));
}

describe('importAppleHealth refuses bad files clearly', () => {
  it('a file that is not an export', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'shopping list\n'.repeat(1000));
    const f = await failure('u1', path);
    expect(f.type).toBe('BadImportFile');
    expect(f.message).toMatch(/is not an Apple Health export/);
    expect(f.ledger?.status).toBe('failed');
    // Not retried: retrying cannot make the file an export.
    expect(f.ledger?.attempts).toBe(1);
  });

  it('a zip without an export in it (only the clinical document)', async () => {
    const path = join(dir, 'other.zip');
    await zipOf(path, {
      'apple_health_export/export_cda.xml': '<?xml version="1.0"?><ClinicalDocument/>',
      'apple_health_export/readme.txt': 'nothing here',
    });
    const f = await failure('u2', path);
    expect(f.type).toBe('BadImportFile');
    expect(f.message).toMatch(/holds no Apple Health export/);
    expect(f.ledger?.status).toBe('failed');
  });

  it('a truncated export.zip', async () => {
    const path = join(dir, 'cut.zip');
    await writeExportZip(path, { days: 10 });
    const size = (await readFile(path)).length;
    await truncate(path, Math.floor(size * 0.6));
    const f = await failure('u3', path);
    expect(f.type).toBe('BadImportFile');
    expect(f.message).toMatch(/truncated or damaged/);
    expect(f.ledger?.status).toBe('failed');
    const [n] = await db.sql<{ n: number }[]>`select count(*)::int as n from records where user_id = 'u3'`;
    expect(n?.n).toBe(0);
  });

  it('a truncated export.xml: what was read is kept, but the import is failed, not done', async () => {
    const path = join(dir, 'cut.xml');
    await writeExportXml(path, { days: 10 });
    const size = (await readFile(path)).length;
    await truncate(path, Math.floor(size * 0.7));
    const f = await failure('u4', path);
    expect(f.type).toBe('BadImportFile');
    expect(f.message).toMatch(/the file is truncated/);
    expect(f.ledger?.status).toBe('failed');
    expect(f.ledger?.error).toMatch(/truncated/);
  });

  it('an input without a valid user or path (as `temporal workflow start --input` could send)', async () => {
    for (const input of [
      { userId: '../x', path: '/tmp/export.zip' },
      { userId: 'u6', path: ' ' },
    ]) {
      const handle = await temporal.client.workflow.start('importAppleHealth', {
        taskQueue: temporal.config.TEMPORAL_TASK_QUEUE,
        workflowId: `bad-input-${Math.random().toString(36).slice(2)}`,
        args: [input],
      });
      const error = await handle.result().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const cause = (error as WorkflowFailedError).cause as Error & { type?: string };
      expect(cause.type).toBe('InvalidInput');
      expect(cause.message).toMatch(input.userId === 'u6' ? /path must name the export/ : /userId must be/);
    }
  });

  it('a file that does not exist', async () => {
    const f = await failure('u5', join(dir, 'missing.zip'));
    expect(f.type).toBe('BadImportFile');
    expect(f.message).toMatch(/cannot read .*missing\.zip/);
  });
});
