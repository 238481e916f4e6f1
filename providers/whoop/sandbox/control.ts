// The in-process control surface (tests, the demo via /_sandbox/): create users and tokens, change data
// the way WHOOP does between syncs, inject faults, read counters. Never touches the request budget.

import { validateFaults } from '../../sandbox-kit/faults.ts';
import { present } from './api-routes.ts';
import { isDrifted } from './drift.ts';
import { isMalformed } from './faults.ts';
import { selectDescending } from './query.ts';
import type { SandboxState } from './state.ts';
import { type SandboxControl, WHOOP_KINDS, type WhoopKind } from './types.ts';
import { deliverWebhook } from './webhooks.ts';

export function assertKind(kind: string): asserts kind is WhoopKind {
  if (!(WHOOP_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`unknown kind '${kind}' (expected ${WHOOP_KINDS.join(', ')})`);
  }
}

export function createControl(state: SandboxState): SandboxControl {
  return {
    issueTokens(userKey) {
      state.user(userKey);
      const { accessToken, refreshToken, expiresIn } = state.tokens.issue(userKey);
      return { accessToken, refreshToken, expiresIn };
    },
    expireAccessToken(accessToken) {
      state.tokens.expire(accessToken);
    },
    revokeUser(userKey) {
      state.tokens.revokeUser(userKey);
    },
    setFaults(faults) {
      state.faults = validateFaults(faults);
    },
    records(userKey, kind, start, end) {
      assertKind(kind);
      const index = state.user(userKey).kinds[kind];
      const selected = selectDescending(index, start?.getTime(), end?.getTime() ?? state.nowMs());
      // A JSON round trip yields exactly what the API serves (undefined fields gone) and a private copy.
      return Array.from(selected, (record) => JSON.parse(JSON.stringify(record.body)) as unknown);
    },
    served(userKey, kind, start, end) {
      assertKind(kind);
      const index = state.user(userKey).kinds[kind];
      const selected = selectDescending(index, start?.getTime(), end?.getTime() ?? state.nowMs());
      return Array.from(selected, (record) => {
        const fault = isMalformed(state.seed, record, state.faults.malformedRecordRate)
          ? ('malformed' as const)
          : isDrifted(state.seed, record, state.faults.schemaDriftRate)
            ? ('drift' as const)
            : undefined;
        const body = JSON.parse(JSON.stringify(present(state, record))) as Record<string, unknown>;
        return { id: record.id, body, ...(fault ? { fault } : {}) };
      });
    },
    rescore(userKey) {
      return { rescored: state.user(userKey).rescore(state.nowMs()) };
    },
    deleteRecords(userKey, kind, count, withinDays = 30) {
      assertKind(kind);
      return state.user(userKey).deleteRecords(kind, count, withinDays, state.nowMs());
    },
    extendToNow(userKey) {
      return state.user(userKey).extendTo(state.nowMs());
    },
    stats() {
      return structuredClone(state.stats);
    },
    resetStats() {
      state.resetStats();
    },
    deliverWebhook: (delivery) => deliverWebhook(state, delivery),
    whoopUserId: (userKey) => state.user(userKey).params.userId,
  };
}
