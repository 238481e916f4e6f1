// An error as plain JSON for log lines: pino prints an Error under any key but `err` as `{}`, and
// log attributes leave the workflow's thread as structured clones, which keep only the message.
// Pure, so workflow code uses it too.

export interface ErrorLike {
  name?: unknown;
  message: string;
  type?: unknown;
  cause?: unknown;
  stack?: unknown;
}

// Errors from workflow code come from another V8 context, so `instanceof Error` misses them.
export function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string';
}

/**
 * The error's class, its Temporal failure type (the error class of activities/failures.ts), its
 * message and its causes; the stack only of the innermost unclassified error (a bug).
 */
export function describeError(error: ErrorLike, depth = 0): Record<string, unknown> {
  const described: Record<string, unknown> = {
    class: typeof error.name === 'string' ? error.name : 'Error',
    message: error.message,
  };
  if (typeof error.type === 'string') described.type = error.type;
  if (isErrorLike(error.cause) && depth < 5) described.cause = describeError(error.cause, depth + 1);
  else if (typeof error.stack === 'string' && (!described.type || described.type === 'InternalError')) {
    described.stack = error.stack;
  }
  return described;
}
