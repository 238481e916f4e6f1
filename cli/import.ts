// `wearhouse import <source> --user U FILE [--follow]`: starts the source's import workflow on a file
// the worker can read (an absolute path), and with --follow shows its progress until it ends, batch
// by batch (the running slice's heartbeats), not only when a slice ends.
import { access, constants, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type WorkflowHandle, WorkflowIdReusePolicy } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { ImportProgress } from '../activities/import-file.ts';
import { fileImportSources } from '../providers/file-import-sources.ts';
import type { Config } from '../worker/config.ts';
import type { ImportWorkflowProgress } from '../workflows/import-apple-health.ts';
import { InvalidInputError } from '../workflows/inputs.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../workflows/search-attributes.ts';
import { openClients, resolveEndpoints } from './context.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export const importWorkflowId = (provider: string, userId: string) => `import:${provider}:${userId}`;

/** The shape of cli/commands.ts's CommandInput (not imported: commands.ts imports this file). */
interface ImportCommandInput {
  config: Config;
  values: Record<string, string | boolean | undefined>;
  args: string[];
}

export async function importCommand({ config, values, args }: ImportCommandInput): Promise<void> {
  const [name, file, ...extra] = args;
  const source = name ? fileImportSources[name] : undefined;
  if (!source || !file || extra.length > 0) {
    throw new InvalidInputError(
      `usage: wearhouse import <${Object.keys(fileImportSources).join('|')}> --user U FILE [--follow]`,
    );
  }
  const userId = typeof values.user === 'string' ? values.user.trim() : '';
  if (!userId) throw new InvalidInputError('--user is required');
  const path = resolve(file);
  try {
    await access(path, constants.R_OK);
    if (!(await stat(path)).isFile()) throw new Error('not a regular file');
  } catch (error) {
    throw new InvalidInputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    const handle = await clients.client.workflow.start(source.workflowType, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: importWorkflowId(source.provider, userId),
      // One import per user at a time; a finished one may be started again (a newer export).
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      args: [{ userId, path }],
      staticSummary: `Import ${name} export of ${userId}: ${path}`,
      typedSearchAttributes: [
        { key: WEARHOUSE_USER, value: userId },
        { key: WEARHOUSE_PROVIDER, value: source.provider },
      ],
    });
    say(`started ${handle.workflowId} (run ${handle.firstExecutionRunId})`);
    if (values.follow) await followImport(handle, userId, path);
  } finally {
    await clients.close();
  }
}

export function importProgressLine(p: ImportWorkflowProgress, width = 30): string {
  const ratio = p.done ? 1 : p.bytesTotal ? p.bytesDone / p.bytesTotal : 0;
  const filled = Math.round(ratio * width);
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const eta = p.done ? 'done' : p.etaSeconds === null ? 'ETA …' : `ETA ${Math.ceil(p.etaSeconds)} s`;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% · ` +
    `${mb(p.bytesDone)}/${p.bytesTotal === null ? '?' : mb(p.bytesTotal)} MB · ${p.records} records ` +
    `(${p.inserted} new, ${p.quarantined} quarantined) · ${eta}`
  );
}

/**
 * What --follow shows: the workflow's progress (it changes when a slice of up to five minutes ends),
 * or the running slice's last heartbeat (every batch) when that is further along, with the ETA at the
 * rate since the import started.
 */
export function latestImportProgress(
  fromWorkflow: ImportWorkflowProgress | null,
  heartbeat: ImportProgress | undefined,
  context: { userId: string; path: string; elapsedSeconds: number },
): ImportWorkflowProgress | null {
  if (!heartbeat || heartbeat.done || (fromWorkflow && heartbeat.bytesDone <= fromWorkflow.bytesDone)) {
    return fromWorkflow;
  }
  const left = heartbeat.bytesTotal === null ? null : heartbeat.bytesTotal - heartbeat.bytesDone;
  return {
    ...heartbeat,
    userId: context.userId,
    path: context.path,
    slices: fromWorkflow?.slices ?? 0,
    etaSeconds:
      left === null || heartbeat.bytesDone === 0
        ? null
        : (context.elapsedSeconds * left) / heartbeat.bytesDone,
  };
}

/** The last heartbeat of the import's running slice, if one is running and has beaten. */
export async function runningSliceHeartbeat(
  handle: WorkflowHandle,
): Promise<{ heartbeat: ImportProgress | undefined; startedAt: Date }> {
  const description = await handle.describe();
  let heartbeat: ImportProgress | undefined;
  for (const activity of description.raw.pendingActivities ?? []) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (payload) heartbeat = defaultPayloadConverter.fromPayload<ImportProgress>(payload as Payload);
  }
  return { heartbeat, startedAt: description.startTime };
}

async function followImport(handle: WorkflowHandle, userId: string, path: string): Promise<void> {
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  result.catch(() => {});
  const render = (p: ImportWorkflowProgress | null) => {
    if (!p) return;
    const line = importProgressLine(p);
    process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
  };
  while (!finished) {
    try {
      const fromWorkflow = await handle.query<ImportWorkflowProgress | null>('progress');
      const { heartbeat, startedAt } = await runningSliceHeartbeat(handle);
      const elapsedSeconds = (Date.now() - startedAt.getTime()) / 1000;
      render(latestImportProgress(fromWorkflow, heartbeat, { userId, path, elapsedSeconds }));
    } catch {
      // Before the first workflow task the query has no answer yet: keep polling.
    }
    await Promise.race([result.catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
  }
  const summary = (await result) as ImportWorkflowProgress;
  render(summary);
  process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
}
