// The in-process control surface (tests; the demo via /_sandbox/): users and tokens, subscriptions,
// documents changed or deleted after the fact, faults, counters. Never touches the rate limits.
import { validateFaults } from '../../sandbox-kit/faults.ts';
import { dayNumberOf } from './clock.ts';
import { dayRange, instantRange } from './query.ts';
import type { OuraSandboxState } from './state.ts';
import {
  type DailyDocumentKind,
  OURA_SANDBOX_KINDS,
  type OuraSandboxControl,
  type OuraSandboxKind,
} from './types.ts';

export function assertKind(kind: string): asserts kind is OuraSandboxKind {
  if (!(OURA_SANDBOX_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`unknown kind '${kind}' (expected ${OURA_SANDBOX_KINDS.join(', ')})`);
  }
}

export function assertDailyKind(kind: string): asserts kind is DailyDocumentKind {
  assertKind(kind);
  if (kind === 'heartrate') throw new Error('heartrate samples cannot be changed or deleted');
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: string): number {
  if (!DAY.test(value)) throw new Error(`day must be YYYY-MM-DD, got '${value}'`);
  return dayNumberOf(value);
}

export function createControl(state: OuraSandboxState): OuraSandboxControl {
  return {
    issueTokens(userKey) {
      state.user(userKey);
      const { accessToken, refreshToken, expiresIn } = state.tokens.issue(userKey);
      return { accessToken, refreshToken, expiresIn };
    },
    expireAccessToken: (accessToken) => state.tokens.expire(accessToken),
    revokeUser: (userKey) => state.tokens.revokeUser(userKey),
    setSubscription(userKey, active) {
      state.user(userKey).subscriptionActive = active;
    },
    setFaults(faults) {
      state.faults = validateFaults(faults);
    },
    documents(userKey, kind, from, to) {
      assertKind(kind);
      const user = state.user(userKey);
      const now = state.nowMs();
      if (kind === 'heartrate') {
        const { startMs, endMs } = instantRange(
          new URLSearchParams({ start_datetime: from, end_datetime: to }),
          now,
        );
        return user.heartrate(startMs, endMs, now, Number.MAX_SAFE_INTEGER).rows.map((row) => ({ ...row }));
      }
      // Inclusive on both ends: a date-time end keeps its date.
      const { firstDay, lastDay } = dayRange(
        new URLSearchParams({ start_date: from, end_date: `${to}T00:00:00` }),
        0,
      );
      return user.documents(kind, firstDay, lastDay, now).map((doc) => structuredClone(doc));
    },
    mutate(userKey, kind, onDay) {
      assertDailyKind(kind);
      return state.user(userKey).mutate(kind, day(onDay));
    },
    deleteDocuments(userKey, kind, onDay) {
      assertDailyKind(kind);
      return state.user(userKey).deleteDocuments(kind, day(onDay));
    },
    ouraUserId: (userKey) => state.user(userKey).ouraUserId,
    stats: () => structuredClone(state.stats),
    resetStats: () => state.resetStats(),
    subscriptions: () => state.webhooks.list(),
    setSubscriptionExpiry: (id, at) => state.webhooks.setExpiry(id, at),
    deliverWebhook: (notification, options) => state.webhooks.deliver(notification, options),
  };
}
