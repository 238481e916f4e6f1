// pino for every process: JSON lines, pretty in a terminal. Token-shaped fields are redacted by
// name as a second line of defence; the first is never passing secrets to the logger at all.
import pino, { type Logger } from 'pino';

export type { Logger };

const redactedFields = [
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'client_secret',
  'clientSecret',
  'authorization',
  'password',
];

export const redactPaths = [
  ...redactedFields,
  ...redactedFields.map((field) => `*.${field}`),
  'headers.authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Pretty-print for humans; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: 'wearhouse' },
  };
  if (options.destination) return pino(base, options.destination);
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'service' } },
    });
  }
  return pino(base);
}
