// `backfill --follow`: a progress bar fed by the workflow's `progress` query until it completes.
import type { WorkflowHandle } from '@temporalio/client';
import type { BackfillProgress } from '../workflows/backfill.ts';

export async function followBackfill(handle: WorkflowHandle): Promise<void> {
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  result.catch(() => {});
  while (!finished) {
    try {
      const progress = await handle.query<BackfillProgress>('progress');
      render(progress);
    } catch {
      // The query fails briefly between runs (continue-as-new) or before the first task: keep polling.
    }
    await Promise.race([result.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
  const summary = await result;
  // The last state, also when the backfill finished before the first poll.
  render(await handle.query<BackfillProgress>('progress'));
  process.stdout.write('\n');
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

export function progressLine(progress: BackfillProgress, width = 30): string {
  const ratio = progress.windowsTotal ? progress.windowsDone / progress.windowsTotal : 1;
  const filled = Math.round(ratio * width);
  const stored = Object.values(progress.byKind).reduce(
    (sum, c) => sum + c.inserted + c.updated + c.unchanged,
    0,
  );
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progress.windowsDone}/${progress.windowsTotal} windows · ${stored} records · ${progress.apiCalls} API calls`;
}

function render(progress: BackfillProgress) {
  const line = progressLine(progress);
  if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
  else process.stdout.write(`${line}\n`);
}
