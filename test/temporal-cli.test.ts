// The Temporal CLI the way the README says: `npx wearhouse temporal …` runs the installed CLI against
// the dev stack (its address from .data/stack.json), exit code passed through; the README's
// signal-with-start recipe merges a range into a backfill; the printed `export PATH=…` line works.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { temporalPathLine } from '../cli/temporal.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const run = promisify(execFile);
const USER = 'pia';
let stack: WhoopStack;
let dataDir: string;

beforeAll(async () => {
  stack = await startWhoopStack();
  await stack.connectUser(USER);
  // A dev stack as `wearhouse dev` leaves it: only its stack file says where Temporal is.
  dataDir = await mkdtemp(join(tmpdir(), 'wearhouse-temporal-cli-'));
  await writeFile(
    join(dataDir, 'stack.json'),
    JSON.stringify({ databaseUrl: stack.db.url, temporalAddress: inject('temporalAddress') }),
  );
});
afterAll(async () => {
  await stack?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** `wearhouse temporal …` with no TEMPORAL_ADDRESS in the environment. */
const wearhouseTemporal = (...args: string[]) =>
  run(process.execPath, ['bin/wearhouse.mjs', 'temporal', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', WEARHOUSE_DATA_DIR: dataDir },
    timeout: 120_000,
  });

describe('npx wearhouse temporal', () => {
  it("runs the README's signal-with-start recipe against the dev stack, and lists the user's workflows", async () => {
    const workflowId = `backfill:whoop:${USER}`;
    const range = { from: iso(day(-40)), to: iso(day(-31)) };
    await wearhouseTemporal(
      'workflow',
      'signal-with-start',
      '--task-queue',
      stack.temporal.config.TEMPORAL_TASK_QUEUE,
      '--type',
      'backfill',
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify({ userId: USER, provider: 'whoop', ...range }),
      '--signal-name',
      'addRange',
      '--signal-input',
      JSON.stringify(range),
    );
    const result = await stack.temporal.client.workflow.getHandle(workflowId).result();
    expect(result.ranges).toEqual([
      { ...range, kinds: ['cycle', 'sleep', 'recovery', 'workout'], windows: 4 },
    ]);
    const { stdout } = await wearhouseTemporal(
      'workflow',
      'list',
      '--query',
      `WearhouseUser="${USER}"`,
      '--output',
      'json',
    );
    const listed = JSON.parse(stdout) as { execution: { workflowId: string } }[];
    expect(listed.map((w) => w.execution.workflowId)).toContain(workflowId);
  });

  it("passes the CLI's exit code and message through", async () => {
    const failed = await wearhouseTemporal('workflow', 'describe', '--workflow-id', 'no-such-workflow').then(
      () => {
        throw new Error('expected describe of a missing workflow to fail');
      },
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/not found/i);
  });
});

describe('the export PATH line the demo and dev print', () => {
  it('puts a working `temporal` on PATH', async () => {
    const line = await temporalPathLine();
    expect(line).toMatch(/^export PATH="\/.+:\$PATH"$/);
    const { stdout } = await run('sh', ['-c', `${line} && command -v temporal && temporal --version`], {
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(stdout).toMatch(/temporal version \d+\.\d+/);
  });
});
