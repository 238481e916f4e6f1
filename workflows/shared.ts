// Pieces both workflows use: activity proxies with the retry policy, the search attributes, log
// lines that say whose data, and turning bad input into a non-retryable failure (a thrown plain
// Error would retry the task forever).
import { ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import {
  ContinueAsNew,
  isCancellation,
  log,
  proxyActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { describeError, isErrorLike } from './error-fields.ts';
import { InvalidInputError } from './inputs.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from './search-attributes.ts';

export const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  // Unlimited attempts: transient failures (provider down, Postgres restarting) eventually pass;
  // failures that cannot pass are thrown as non-retryable by the activities.
  nonRetryableErrorTypes: ['InvalidInput', 'ReauthRequired', 'AccessDenied', 'ProviderClientError'],
};

export const { checkConnection, planBackfill, planIncremental } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry,
});

export const { syncWindow } = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '60s',
  retry,
});

export function tagWorkflow(userId: string, provider: string): void {
  upsertSearchAttributes([
    { key: WEARHOUSE_USER, value: userId },
    { key: WEARHOUSE_PROVIDER, value: provider },
  ]);
}

/**
 * Workflow log lines (the SDK's `log`: not written again on replay) with the user and provider; the
 * SDK adds workflowId, runId and workflowType.
 */
export function workflowLog(userId: string, provider: string) {
  return {
    info: (message: string, attrs: Record<string, unknown> = {}) =>
      log.info(message, { userId, provider, ...attrs }),
    warn: (message: string, attrs: Record<string, unknown> = {}) =>
      log.warn(message, { userId, provider, ...attrs }),
  };
}

export function parseOrFail<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw ApplicationFailure.create({ type: 'InvalidInput', message: error.message, nonRetryable: true });
    }
    throw error;
  }
}

/**
 * Runs a workflow's body and, when it fails, logs "workflow failed" with the failure's class, type
 * and message (and its causes) before the failure ends the run. The SDK's own "Workflow failed" line
 * cannot say as much: its error crosses the worker thread as a clone that keeps only messages.
 */
export async function logFailure<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof ContinueAsNew) && !isCancellation(error) && isErrorLike(error)) {
      log.warn('workflow failed', { error: describeError(error) });
    }
    throw error;
  }
}
