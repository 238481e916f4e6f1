// Failures the CLI reports, each with a hint: the checks made before a workflow is started (is the
// connection there and active?) and, once one ran, the workflow's own failure message, dug out of
// the client's WorkflowFailedError (whose message alone is only "Workflow execution failed").
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { getConnection } from '../store/connections.ts';
import type { Sql } from '../store/db.ts';

/** A failure the CLI prints as `wearhouse: <message>` and `  hint: <hint>`, exiting non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Throws a CliError unless `userId` has an active connection to `provider`. */
export async function assertConnectionReady(sql: Sql, provider: string, userId: string): Promise<void> {
  const row = await getConnection(sql, provider, userId);
  if (!row) {
    const others = await sql<{ user_id: string }[]>`
      select user_id from connections where provider = ${provider} order by user_id limit 20`;
    const known = others.length
      ? `users with a ${provider} connection: ${others.map((r) => r.user_id).join(', ')}`
      : `no user has a ${provider} connection yet`;
    throw new CliError(
      `"${userId}" has no ${provider} connection (${known})`,
      `connect it first: wearhouse connect ${provider} --user ${userId}`,
    );
  }
  if (row.status !== 'active') {
    throw new CliError(
      `the ${provider} connection of ${userId} is ${row.status}${row.status_reason ? `: ${row.status_reason}` : ''}`,
      `log in again to renew it: wearhouse connect ${provider} --user ${userId}`,
    );
  }
}

interface Subject {
  workflowId: string;
  provider: string;
  userId: string;
}

/** What to do about a workflow that failed with this failure type (activities/failures.ts). */
const HINTS: Record<string, (s: Subject) => string> = {
  InvalidInput: () => 'fix the input and start again (wearhouse --help shows the accepted forms)',
  ReauthRequired: (s) =>
    `the provider rejected the stored grant; log in again: wearhouse connect ${s.provider} --user ${s.userId}`,
  ProviderClientError: (s) =>
    `the provider refused a request; the failure in full: temporal workflow show --workflow-id ${s.workflowId}`,
  InternalError: (s) => `most likely a bug: the worker log has the stack (search it for ${s.workflowId})`,
};
const defaultHint = (s: Subject) =>
  `the history in full: temporal workflow show --workflow-id ${s.workflowId} (or the Temporal UI)`;

/**
 * The failure that explains a workflow's failure: the innermost ApplicationFailure in the cause chain
 * (the activity's or the workflow's own), else the innermost Temporal failure (timeout, termination,
 * cancellation). Undefined when `error` is not a workflow failure at all.
 */
export function rootFailure(error: unknown): TemporalFailure | undefined {
  let innermost: TemporalFailure | undefined;
  let application: ApplicationFailure | undefined;
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof TemporalFailure) innermost = cause;
    if (cause instanceof ApplicationFailure) application = cause;
  }
  return application ?? innermost;
}

/**
 * A workflow's failure as a CliError: the workflow's own message, its failure type and a hint.
 * Errors that are not workflow failures are returned unchanged.
 */
export function explainWorkflowFailure(error: unknown, subject: Subject): unknown {
  const root = rootFailure(error);
  if (!root) return error;
  const type = root instanceof ApplicationFailure ? root.type : root.name;
  const hint = (type && HINTS[type]) || defaultHint;
  return new CliError(`${subject.workflowId} failed (${type}): ${root.message}`, hint(subject));
}
