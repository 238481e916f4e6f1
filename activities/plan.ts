// Deciding what to fetch: the connection check, the uncovered windows of a backfill, and the
// re-checked span of an incremental sync (watermark minus the rescore lookback, to now).
import { Context } from '@temporalio/activity';
import { descriptorOf, windowDaysOf } from '../providers/catalog.ts';
import { ProviderError } from '../providers/errors.ts';
import { getConnection } from '../store/connections.ts';
import { uncoveredSpans, watermarks } from '../store/coverage.ts';
import type { Sql } from '../store/db.ts';
import { toApplicationFailure } from './failures.ts';
import type { ConnectionRef, PlanBackfillInput, WindowSpec } from './types.ts';
import { splitIntoWindows } from './windows.ts';

const DAY_MS = 86_400_000;

export interface PlanDeps {
  sql: Sql;
  /** Overrides the provider's rescore lookback (RESCORE_LOOKBACK_DAYS). */
  rescoreLookbackDays?: number;
  now?: () => Date;
}

export function createPlanActivities(deps: PlanDeps) {
  const now = deps.now ?? (() => new Date());
  const facts = (provider: string) => {
    const descriptor = descriptorOf(provider);
    if (!descriptor) throw new ProviderError(`unknown provider "${provider}"`, 'invalid_input');
    return descriptor;
  };
  const lookbackDays = (provider: string) => deps.rescoreLookbackDays ?? facts(provider).rescoreLookbackDays;

  async function checkConnection(ref: ConnectionRef): Promise<void> {
    facts(ref.provider);
    const row = await getConnection(deps.sql, ref.provider, ref.userId);
    if (!row) {
      throw new ProviderError(
        `unknown user: "${ref.userId}" has no ${ref.provider} connection (run \`wearhouse connect ${ref.provider} --user ${ref.userId}\`)`,
        'invalid_input',
      );
    }
    if (row.status === 'access_denied') {
      throw new ProviderError(
        `access denied: the ${ref.provider} connection of ${ref.userId} is refused by the provider (${row.status_reason ?? 'no reason given'}); reconnect once the user has restored access`,
        'access_denied',
      );
    }
    if (row.status !== 'active') {
      throw new ProviderError(
        `reauth required: the ${ref.provider} connection of ${ref.userId} is ${row.status}`,
        'reauth_required',
      );
    }
  }

  return {
    checkConnection: classified(checkConnection),

    planBackfill: classified(async (input: PlanBackfillInput): Promise<WindowSpec[]> => {
      await checkConnection(input);
      const range = { start: new Date(input.start), end: new Date(input.end) };
      // On a UTC day boundary: re-running a backfill that reaches today, later the same day, then
      // finds no sliver between the old and the new boundary to fetch as an extra window.
      const finalBefore = new Date(
        Math.floor((now().getTime() - lookbackDays(input.provider) * DAY_MS) / DAY_MS) * DAY_MS,
      );
      const descriptor = facts(input.provider);
      const windows: WindowSpec[] = [];
      for (const kind of input.kinds) {
        const gaps = await uncoveredSpans(
          deps.sql,
          { provider: input.provider, userId: input.userId, kind },
          range,
        );
        windows.push(
          ...splitIntoWindows(kind, gaps, { windowDays: windowDaysOf(descriptor, kind), finalBefore }),
        );
      }
      return windows;
    }),

    planIncremental: classified(async (input: ConnectionRef): Promise<WindowSpec[]> => {
      await checkConnection(input);
      const end = now();
      const lookbackMs = Math.max(lookbackDays(input.provider), 1) * DAY_MS;
      const marks = await watermarks(deps.sql, input.provider, input.userId);
      const descriptor = facts(input.provider);
      const windows: WindowSpec[] = [];
      // The default kinds, and the opt-in kinds a backfill once asked for (they have a watermark).
      const optedIn = (descriptor.optInKinds ?? []).filter((kind) => marks.has(kind));
      for (const kind of [...descriptor.kinds, ...optedIn]) {
        const watermark = marks.get(kind) ?? end;
        const start = new Date(Math.min(watermark.getTime(), end.getTime()) - lookbackMs);
        const spans = [{ start, end }];
        // Incremental windows are never final: they lie inside the lookback by construction.
        windows.push(
          ...splitIntoWindows(kind, spans, {
            windowDays: windowDaysOf(descriptor, kind),
            finalBefore: start,
          }),
        );
      }
      return windows;
    }),
  };
}

/** Every failure leaves the activity classified (InvalidInput, DatabaseUnavailable, …). */
function classified<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toApplicationFailure(error, Context.current().info.attempt);
    }
  };
}
