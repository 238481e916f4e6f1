// Adds the user, provider, kind and window an activity works on to the SDK's own activity log lines
// ("Activity completed", "Activity failed"), which otherwise name only the workflow and the activity
// type: an operator searching the logs for one user's window then finds the SDK's lines too.
// The SDK writes "Activity started" (debug) before the interceptors see the arguments, so that one
// line cannot carry them; syncWindow's own lines carry them from its first line on.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { type WindowLogFields, windowLogFields } from '../activities/log-fields.ts';
import type { WindowSpec } from '../activities/types.ts';

export const activityLogFields: ActivityInterceptorsFactory = () => {
  let fields: WindowLogFields | undefined;
  return {
    inbound: {
      execute(input, next) {
        fields = fieldsOf(input.args[0]);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        return next(fields ? { ...attributes, ...fields } : attributes);
      },
    },
  };
};

function fieldsOf(arg: unknown): WindowLogFields | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const { userId, provider, window } = arg as { userId?: unknown; provider?: unknown; window?: unknown };
  if (typeof userId !== 'string' || typeof provider !== 'string') return undefined;
  return windowLogFields({ userId, provider, window: isWindow(window) ? window : undefined });
}

function isWindow(value: unknown): value is WindowSpec {
  const w = value as Partial<WindowSpec> | null | undefined;
  return typeof w?.kind === 'string' && typeof w.start === 'string' && typeof w.end === 'string';
}
