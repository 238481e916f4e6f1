// The fields that say which user's which window a log line is about. One definition, used by the
// activity's own logger and by the worker's interceptor that adds them to the SDK's activity lines,
// so a search by userId, kind or window finds both.
import type { SyncWindowInput } from './types.ts';

export interface WindowLogFields {
  userId: string;
  provider: string;
  kind?: string;
  /** `<start>/<end>`, ISO instants (an ISO 8601 interval). */
  window?: string;
}

export function windowLogFields(
  input: Pick<SyncWindowInput, 'userId' | 'provider'> & {
    window?: SyncWindowInput['window'];
  },
): WindowLogFields {
  return {
    userId: input.userId,
    provider: input.provider,
    ...(input.window ? { kind: input.window.kind, window: `${input.window.start}/${input.window.end}` } : {}),
  };
}
