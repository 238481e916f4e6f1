// `wearhouse temporal …`: the Temporal CLI the project installed (worker/stack/temporal-cli.ts), run
// with the arguments as given, pointed at the running dev stack unless TEMPORAL_ADDRESS says otherwise,
// so the README's `temporal …` recipes work as `npx wearhouse temporal …` without touching PATH.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '../worker/config.ts';
import { findOrInstallTemporalCli } from '../worker/stack/temporal-cli.ts';

/** The environment for the Temporal CLI: the dev stack's address and namespace when none is set. */
export async function temporalCliEnv(config: Config, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const stackFile = resolve(config.WEARHOUSE_DATA_DIR, 'stack.json');
  let address = env.TEMPORAL_ADDRESS;
  if (!address && existsSync(stackFile)) {
    address = (JSON.parse(await readFile(stackFile, 'utf8')) as { temporalAddress?: string }).temporalAddress;
  }
  return {
    ...env,
    ...(address ? { TEMPORAL_ADDRESS: address } : {}),
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE || config.TEMPORAL_NAMESPACE,
  };
}

/** Runs the Temporal CLI with `args`; resolves with its exit code. */
export async function runTemporalCli(config: Config, args: string[]): Promise<number> {
  const binary = await findOrInstallTemporalCli((line) => process.stderr.write(`${line}\n`));
  const child = spawn(binary, args, { stdio: 'inherit', env: await temporalCliEnv(config, process.env) });
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}

/** The shell line that puts the installed Temporal CLI on PATH, for the README's recipes. */
export async function temporalPathLine(): Promise<string> {
  const binary = await findOrInstallTemporalCli();
  return `export PATH="${dirname(binary)}:$PATH"`;
}
