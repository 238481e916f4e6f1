// The machine the figures were measured on.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { findOrInstallTemporalCli } from '../worker/stack/temporal-cli.ts';
import type { BenchServices } from './harness.ts';

const run = promisify(execFile);

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  temporal: string;
  loadAtStart: number;
  loadAtEnd?: number;
  commit: string;
}

export async function describeMachine(services: BenchServices): Promise<MachineInfo> {
  const cpus = os.cpus();
  const [postgres, server, cli, commit, dirty] = await Promise.all([
    services.postgresVersion().catch(() => 'unknown'),
    services.temporalVersion().catch(() => 'unknown'),
    findOrInstallTemporalCli()
      .then((path) => run(path, ['--version']))
      .then(({ stdout }) => stdout.trim())
      .catch(() => 'unknown'),
    // Read-only: never touches the index.
    run('git', ['rev-parse', '--short', 'HEAD'], { cwd: new URL('..', import.meta.url) })
      .then(({ stdout }) => stdout.trim())
      .catch(() => 'unknown'),
    // Whether the measured code is exactly that commit (--no-optional-locks: no index refresh).
    run('git', ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no'], {
      cwd: new URL('..', import.meta.url),
    })
      .then(({ stdout }) => (stdout.trim() ? 'dirty' : 'clean'))
      .catch(() => 'unknown'),
  ]);
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: postgres.replace(/ on .*/, ''),
    temporal: `dev server ${server} (${cli})`,
    loadAtStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    commit: `${commit} (working tree ${dirty})`,
  };
}
