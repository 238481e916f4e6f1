// `wearhouse dev` as a user runs it: a real process that starts embedded Postgres, the Temporal dev
// server with its UI, migrations and a worker; Ctrl-C stops everything; a second start reuses the data.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../store/db.ts';
import { freePort } from '../worker/stack/processes.ts';

let dataDir = '';
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Dev {
  child: ChildProcess;
  output: () => string;
}

function startDev(env: Record<string, string>): Dev {
  const child = spawn(process.execPath, ['bin/wearhouse.mjs', 'dev'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk) => {
    text += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    text += String(chunk);
  });
  return { child, output: () => text };
}

async function waitForOutput(dev: Dev, pattern: RegExp, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(dev.output())) {
    if (dev.child.exitCode !== null) throw new Error(`wearhouse dev exited early:\n${dev.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${dev.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function interrupt(dev: Dev) {
  const exited = new Promise<number | null>((resolve) => dev.child.once('exit', (code) => resolve(code)));
  dev.child.kill('SIGINT');
  return exited;
}

/** Processes still running with this data directory on their command line. */
function survivors(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(dir) && !line.includes('ps -eo'));
}

describe('wearhouse dev', () => {
  it('brings the stack up, stops cleanly on Ctrl-C, and reuses its data on the next start', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wearhouse-dev-'));
    const env = {
      WEARHOUSE_DATA_DIR: dataDir,
      WEARHOUSE_PG_PORT: String(await freePort()),
      WEARHOUSE_TEMPORAL_PORT: String(await freePort()),
      WEARHOUSE_TEMPORAL_UI_PORT: String(await freePort()),
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const first = startDev(env);
    await waitForOutput(first, /Ctrl-C stops everything/);
    expect(first.output()).toMatch(/Applied migrations: 001_core\.sql/);
    const url = first.output().match(/Postgres {5}(\S+)/)?.[1];
    expect(url).toContain(`127.0.0.1:${env.WEARHOUSE_PG_PORT}`);
    const ui = await fetch(`http://127.0.0.1:${env.WEARHOUSE_TEMPORAL_UI_PORT}/`);
    expect(ui.status).toBe(200);
    // Leave a mark in the database, to find it again after the restart.
    const password = (await import('node:fs'))
      .readFileSync(join(dataDir, 'postgres.password'), 'utf8')
      .trim();
    const dbUrl = `postgres://wearhouse:${encodeURIComponent(password)}@127.0.0.1:${env.WEARHOUSE_PG_PORT}/wearhouse`;
    let sql = connect(dbUrl, { max: 1 });
    await sql`insert into users (id) values ('persisted')`;
    await sql.end();

    expect(await interrupt(first)).toBe(0);
    expect(survivors(dataDir)).toEqual([]);

    const second = startDev(env);
    await waitForOutput(second, /Ctrl-C stops everything/);
    // No re-initialisation: no migrations applied, no new cluster.
    expect(second.output()).not.toMatch(/Applied migrations/);
    sql = connect(dbUrl, { max: 1 });
    const rows = await sql`select id from users where id = 'persisted'`;
    await sql.end();
    expect(rows).toHaveLength(1);
    expect(await interrupt(second)).toBe(0);
    expect(survivors(dataDir)).toEqual([]);
  }, 240_000);
});
