// How every process of the project connects to Temporal: the address it resolved (TEMPORAL_ADDRESS
// or the embedded dev stack) plus TLS and an API key read from the same variables the Temporal CLI
// and SDKs use (Temporal's "environment configuration"), so a worker, `serve`, the CLI and
// `wearhouse temporal …` reach Temporal Cloud or a secured self-hosted cluster with one set of
// settings (docs/operating.md, "Temporal Cloud or a self-hosted cluster").
import { accessSync, constants } from 'node:fs';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { type Config, ConfigError } from './config.ts';

/** The connection variables wearhouse passes on; the same names as Temporal's CLI and SDKs. */
export const TEMPORAL_CONNECTION_VARIABLES = [
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
] as const satisfies readonly (keyof Config)[];

/** Whether any TLS or API-key setting is present (a remote, secured Temporal). */
export function wantsSecureTemporal(config: Config): boolean {
  return TEMPORAL_CONNECTION_VARIABLES.some((name) =>
    name === 'TEMPORAL_TLS' ? config[name] === 'true' || config[name] === '1' : config[name] !== undefined,
  );
}

/**
 * Options for `NativeConnection.connect` and `Connection.connect` (their shapes agree on these
 * fields). Certificates are read here, once, so a missing file fails at start with the variable's
 * name, not on the first gRPC call. The API key is passed as an option, never logged.
 */
export function temporalConnectionOptions(config: Config, address: string): NativeConnectionOptions {
  if (!wantsSecureTemporal(config)) return { address };
  // The embedded dev server speaks plain gRPC: TLS settings without an address are a mistake.
  if (!config.TEMPORAL_ADDRESS) {
    throw new ConfigError(
      'TEMPORAL_ADDRESS',
      'is not set, but TLS or an API key is (TEMPORAL_API_KEY / TEMPORAL_TLS*): they are for a remote Temporal, set its address',
    );
  }
  pairedOrNeither(config, 'TEMPORAL_TLS_CLIENT_CERT', 'TEMPORAL_TLS_CLIENT_KEY');
  const overrideEnvVars: Record<string, string> = {};
  for (const name of TEMPORAL_CONNECTION_VARIABLES) {
    const value = config[name];
    if (value !== undefined) overrideEnvVars[name] = value;
  }
  for (const name of TEMPORAL_CONNECTION_VARIABLES) {
    const path = config[name];
    if (!name.endsWith('_PATH') || path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      throw new ConfigError(
        name,
        `names a file this process cannot read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  // No TOML file: every setting comes from the environment (docs/operating.md), so a profile left
  // in ~/.config by the Temporal CLI cannot redirect a worker.
  const loaded = loadClientConnectConfig({ disableFile: true, overrideEnvVars });
  return { ...loaded.connectionOptions, address };
}

function pairedOrNeither(config: Config, cert: string, key: string): void {
  const has = (prefix: string) =>
    config[`${prefix}_PATH` as keyof Config] !== undefined ||
    config[`${prefix}_DATA` as keyof Config] !== undefined;
  if (has(cert) !== has(key)) {
    const missing = has(cert) ? key : cert;
    throw new ConfigError(
      `${missing}_PATH`,
      `(or ${missing}_DATA) is required with ${has(cert) ? cert : key}_*: mTLS needs both`,
    );
  }
}
