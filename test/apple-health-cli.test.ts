// `wearhouse import`: what it refuses before contacting anything, and the --follow progress line.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCommand, importProgressLine, latestImportProgress } from '../cli/import.ts';
import { InvalidInputError } from '../providers/errors.ts';
import { loadConfig } from '../worker/config.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wearhouse-import-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], values: Record<string, string | boolean | undefined>) =>
  importCommand({ config: loadConfig({}), values, args });

describe('wearhouse import', () => {
  it('refuses an unknown source, a missing FILE, extra arguments, a missing --user, an unreadable file', async () => {
    await expect(run(['fitbit', '/x.zip'], { user: 'a' })).rejects.toThrow(
      /usage: wearhouse import <apple-health>/,
    );
    await expect(run(['apple-health'], { user: 'a' })).rejects.toThrow(InvalidInputError);
    await expect(run(['apple-health', 'a.zip', 'b.zip'], { user: 'a' })).rejects.toThrow(/usage/);
    await expect(run(['apple-health', '/x.zip'], {})).rejects.toThrow(/--user is required/);
    await expect(run(['apple-health', join(dir, 'missing.zip')], { user: 'a' })).rejects.toThrow(
      /cannot read .*missing\.zip/,
    );
    await expect(run(['apple-health', dir], { user: 'a' })).rejects.toThrow(/not a regular file/);
  });

  it('draws bytes, records and the ETA', () => {
    const base = {
      done: false,
      container: 'zip',
      xmlName: 'apple_health_export/export.xml',
      bytesTotal: 200e6,
      bytesDone: 50e6,
      elements: 1,
      records: 120_000,
      inserted: 100_000,
      updated: 0,
      unchanged: 20_000,
      duplicates: 0,
      quarantined: 3,
      routes: 0,
      attempts: 1,
      userId: 'a',
      path: '/x.zip',
      slices: 1,
      etaSeconds: 90.2,
    };
    expect(importProgressLine(base, 20)).toBe(
      '[#####---------------] 25% · 50.0/200.0 MB · 120000 records (100000 new, 3 quarantined) · ETA 91 s',
    );
    expect(importProgressLine({ ...base, done: true, bytesDone: 199.9e6, etaSeconds: 0 }, 4)).toBe(
      '[####] 100% · 199.9/200.0 MB · 120000 records (100000 new, 3 quarantined) · done',
    );
  });

  it('shows the running slice when its heartbeat is further along than the last finished slice', () => {
    const slice = {
      done: false,
      container: 'zip',
      xmlName: 'export.xml',
      bytesTotal: 400,
      bytesDone: 100,
      elements: 10,
      records: 10,
      inserted: 10,
      updated: 0,
      unchanged: 0,
      duplicates: 0,
      quarantined: 0,
      routes: 0,
      attempts: 1,
    };
    const context = { userId: 'a', path: '/x.zip', elapsedSeconds: 30 };
    const fromWorkflow = { ...slice, userId: 'a', path: '/x.zip', slices: 1, etaSeconds: 99 };
    // Before any slice ended: the heartbeat, with the ETA at the rate so far (100 bytes in 30 s, 300 left).
    expect(latestImportProgress(null, slice, context)).toMatchObject({
      bytesDone: 100,
      slices: 0,
      etaSeconds: 90,
    });
    // A later heartbeat wins over the last slice's figures; an older or a final one does not.
    expect(
      latestImportProgress(fromWorkflow, { ...slice, bytesDone: 200, records: 20 }, context),
    ).toMatchObject({
      bytesDone: 200,
      records: 20,
      slices: 1,
      etaSeconds: 30,
    });
    expect(latestImportProgress(fromWorkflow, { ...slice, bytesDone: 50 }, context)).toBe(fromWorkflow);
    expect(latestImportProgress(fromWorkflow, { ...slice, bytesDone: 400, done: true }, context)).toBe(
      fromWorkflow,
    );
    expect(latestImportProgress(fromWorkflow, undefined, context)).toBe(fromWorkflow);
  });
});
