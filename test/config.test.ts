import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../worker/config.ts';

const run = promisify(execFile);

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config.WHOOP_API_URL).toBe('https://api.prod.whoop.com/developer');
    expect(config.WHOOP_REQUESTS_PER_MINUTE).toBe(100);
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.TEMPORAL_TASK_QUEUE).toBe('wearhouse');
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('applies the measured worker memory defaults (docs/operating.md, Worker memory)', () => {
    const config = loadConfig({});
    expect(config.WORKER_MAX_CACHED_WORKFLOWS).toBe(100);
    expect(config.WORKER_WORKFLOW_BUNDLE).toBeUndefined();
    expect(config.IMPORT_BATCH_ELEMENTS).toBe(2000);
    expect(config.WORKER_MEMORY_LOG_SECONDS).toBe(0);
    const set = loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '40', IMPORT_BATCH_ELEMENTS: '2000' });
    expect([set.WORKER_MAX_CACHED_WORKFLOWS, set.IMPORT_BATCH_ELEMENTS]).toEqual([40, 2000]);
  });

  it.each([
    ['WHOOP_REQUESTS_PER_MINUTE', 'lots'],
    ['WHOOP_REQUESTS_PER_MINUTE', '0'],
    ['DATABASE_URL', 'mysql://x'],
    ['TEMPORAL_ADDRESS', 'no-port'],
    ['WHOOP_API_URL', 'not a url'],
    ['TOKEN_ENCRYPTION_KEY', 'c2hvcnQ='],
    ['LOG_LEVEL', 'loud'],
    ['WORKER_MAX_CACHED_WORKFLOWS', '1'],
    ['IMPORT_BATCH_ELEMENTS', '7'],
    ['WORKER_MEMORY_LOG_SECONDS', 'often'],
  ])('rejects %s=%s naming the variable and not echoing the value', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(variable);
    expect((error as Error).message).not.toContain(value);
  });

  it('stops the CLI with one clear line on a bad value', async () => {
    const result = await run('node', ['bin/wearhouse.mjs', 'status'], {
      env: { ...process.env, WHOOP_REQUESTS_PER_MINUTE: 'fast' },
    }).catch((error: { code: number; stderr: string; stdout: string }) => error);
    expect('code' in result && result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^wearhouse: Invalid configuration: WHOOP_REQUESTS_PER_MINUTE must be a whole number/,
    );
  });
});
