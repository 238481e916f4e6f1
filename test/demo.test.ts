// `npm run demo`, the main job, as a user runs it: embedded stack + the WHOOP and Oura sandboxes,
// WHOOP users, Oura users and one user with both connected and a year of each backfilled, stored
// counts printed; then Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../worker/stack/processes.ts';

let dataDir = '';
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('backfills a year for WHOOP users, Oura users and one with both, prints what was stored and where to look, stops on Ctrl-C', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wearhouse-demo-'));
    const child = spawn(process.execPath, ['bin/wearhouse.mjs', 'demo'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        WEARHOUSE_DATA_DIR: dataDir,
        WEARHOUSE_PG_PORT: String(await freePort()),
        WEARHOUSE_TEMPORAL_PORT: String(await freePort()),
        WEARHOUSE_TEMPORAL_UI_PORT: String(await freePort()),
        METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so Ctrl-C can be sent as a terminal sends it: to the whole group.
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Two providers' sandboxes: three WHOOP users and three Oura users (alice wears both).
    const deadline = Date.now() + 300_000;
    while (!output.includes('Ctrl-C stops everything')) {
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`demo did not finish:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const user of ['alice', 'bob', 'carol']) {
      expect(output).toMatch(
        new RegExp(`connected ${user}: schedule sync:whoop:${user}, backfill backfill:whoop:${user}`),
      );
      // A year of one cycle a day (the open one included).
      const cycles = Number(output.match(new RegExp(`^ {2}${user} +cycle +(\\d+)$`, 'm'))?.[1]);
      expect(cycles).toBeGreaterThanOrEqual(364);
      expect(cycles).toBeLessThanOrEqual(367);
      for (const kind of ['recovery', 'sleep', 'workout']) {
        expect(output).toMatch(new RegExp(`^ {2}${user} +${kind} +[1-9]\\d*$`, 'm'));
      }
    }
    for (const user of ['alice', 'dana', 'erik']) {
      expect(output).toMatch(
        new RegExp(`connected ${user}: schedule sync:oura:${user}, backfill backfill:oura:${user}`),
      );
      // A year of Oura days: one daily_activity document a day, worn or not.
      const days = Number(output.match(new RegExp(`^ {2}${user} +daily_activity +(\\d+)$`, 'm'))?.[1]);
      expect(days).toBeGreaterThanOrEqual(365);
      expect(days).toBeLessThanOrEqual(367);
    }
    expect(output).toMatch(/Temporal UI +http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows/);
    // A ready line for the README's `temporal …` recipes, naming a directory that holds the CLI.
    const pathLine = output.match(/^ +(export PATH="([^"]+):\$PATH")$/m);
    expect(pathLine?.[1]).toBeDefined();
    expect(existsSync(join(pathLine?.[2] ?? '', 'temporal'))).toBe(true);
    const beforeStop = output.length;
    // Ctrl-C as a terminal sends it: to the whole process group (the demo and what it spawned).
    process.kill(-(child.pid as number), 'SIGINT');
    expect(await exited).toBe(0);
    // A clean stop: the worker drains before the Temporal server goes, and says nothing alarming.
    const stopping = output.slice(beforeStop);
    expect(stopping).not.toMatch(/Failed to poll for task/);
    expect(stopping).not.toMatch(/"level":(40|50)/);
  }, 360_000);
});
