// The worker's workflow code as one webpack bundle. Bundling at start inside the worker process left
// webpack's compilation (and the heap V8 grew for it) resident for the worker's whole life
// (bench/MEMORY.md), so the worker either loads a bundle built beforehand (`wearhouse
// bundle-workflows --out FILE`, then WORKER_WORKFLOW_BUNDLE=FILE) or builds one in a short-lived child
// process and loads only its output.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const bin = fileURLToPath(new URL('../bin/wearhouse.mjs', import.meta.url));

const noop = () => {};
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: console.warn,
  error: console.error,
};

/**
 * The bundle's inline source map without the sources' text (webpack's `nosources`): positions still
 * map to files and lines in stack traces, but the worker no longer holds ~1.5 MB of source text
 * base64-encoded, parsed and re-encoded in the main thread and again in the workflow thread (idle
 * RSS −13 MB, main heap −12 MB: bench/MEMORY.md). The SDK reads the text only for
 * `showStackTraceSources`, which the worker leaves off.
 */
export const SOURCE_MAP = 'inline-nosources-source-map';

/**
 * Bundles the workflow code into `outPath` (in this process). `sourceMap` is webpack's `devtool`;
 * the SDK requires an inline one (bench/memory-probe.ts compares the SDK's own, with the sources).
 */
export async function writeWorkflowBundle(outPath: string, sourceMap: string = SOURCE_MAP): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
    webpackConfigHook: (config) => ({ ...config, devtool: sourceMap }),
  });
  await writeFile(outPath, code);
}

export interface TemporaryBundle {
  path: string;
  /** Deletes the file (the worker has read it into memory by then). */
  remove(): Promise<void>;
}

/** Bundles the workflow code in a child `wearhouse bundle-workflows` process, into a temporary file. */
export async function bundleInChildProcess(): Promise<TemporaryBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'wearhouse-workflows-'));
  const path = join(dir, 'workflow-bundle.js');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'bundle-workflows', '--out', path], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`bundling the workflow code failed (exit ${code}): ${output.join('').slice(-2000)}`);
  }
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}
