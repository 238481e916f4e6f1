// Errors classified once (docs/architecture.md decision 5) and turned into Temporal failures whose type is the
// class, so the retry policy, the run ledger and the Temporal UI all say the same thing.
import { ApplicationFailure } from '@temporalio/common';
import { InvalidInputError, ProviderError } from '../providers/errors.ts';

export const FAILURE_TYPES = {
  rate_limited: 'RateLimited',
  transient: 'ProviderUnavailable',
  unauthorized: 'Unauthorized',
  reauth_required: 'ReauthRequired',
  access_denied: 'AccessDenied',
  client_error: 'ProviderClientError',
  invalid_input: 'InvalidInput',
  database: 'DatabaseUnavailable',
  contention: 'DatabaseContention',
  internal: 'InternalError',
} as const;

const NON_RETRYABLE = new Set<string>([
  FAILURE_TYPES.reauth_required,
  FAILURE_TYPES.access_denied,
  FAILURE_TYPES.client_error,
  FAILURE_TYPES.invalid_input,
]);

/**
 * An unclassified error is most likely a bug, which retrying will not fix: it is retried a few times
 * (it may still be a passing fault we did not foresee), then fails the workflow instead of looping.
 */
export const INTERNAL_ERROR_ATTEMPTS = 5;

export function toApplicationFailure(error: unknown, attempt = 1): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof InvalidInputError) {
    return ApplicationFailure.create({
      type: FAILURE_TYPES.invalid_input,
      message: error.message,
      nonRetryable: true,
    });
  }
  if (error instanceof ProviderError) {
    const type = FAILURE_TYPES[error.errorClass];
    return ApplicationFailure.create({
      type,
      message: error.message,
      nonRetryable: NON_RETRYABLE.has(type),
      // A 429 says how long to wait: retry exactly then, not on the exponential schedule.
      nextRetryDelay: error.errorClass === 'rate_limited' ? (error.retryAfterMs ?? 60_000) : undefined,
    });
  }
  if (isDatabaseUnavailable(error)) {
    return ApplicationFailure.create({ type: FAILURE_TYPES.database, message: messageOf(error) });
  }
  if (isContention(error)) {
    return ApplicationFailure.create({ type: FAILURE_TYPES.contention, message: messageOf(error) });
  }
  return ApplicationFailure.create({
    type: FAILURE_TYPES.internal,
    message: messageOf(error),
    nonRetryable: attempt >= INTERNAL_ERROR_ATTEMPTS,
  });
}

function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'CONNECTION_CLOSED',
      'CONNECTION_ENDED',
      'CONNECTION_DESTROYED',
      'CONNECT_TIMEOUT',
    ].includes(code) ||
    code.startsWith('08') || // connection exceptions
    code === '57P01' || // admin shutdown
    code === '57P03' // cannot connect now (starting up)
  );
}

/**
 * Another transaction was in the way: a lock wait that timed out (55P03 lock_not_available), a
 * serialization failure (40001) or a deadlock Postgres broke (40P01). The transaction was rolled back
 * whole, so running it again is safe and usually succeeds: retried on the normal schedule, never
 * counted as a bug.
 */
function isContention(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  return code === '55P03' || code === '40001' || code === '40P01';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
