// GET /v1/status (docs/read-api.md): how full the database is — per provider and kind the records
// stored, per connection and kind the covered ranges and gaps, last success and failures, requests
// today against the day's budget, and the fetches open in Temporal. Needs an --all-users token.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { loadStatus } from '../../cli/status.ts';
import { providerBudgets } from '../../providers/registry.ts';
import type { Sql } from '../../store/db.ts';
import { recordsByConnectionKind, requestsToday } from '../../store/read-status.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../../workflows/search-attributes.ts';
import { mayRead } from './read-auth.ts';
import { errorResponse, statusResponse } from './read-schemas.ts';

const FETCH_TYPES = ['readFetch', 'backfill', 'webhookFetch'];
const MAX_LISTED_FETCHES = 500;
const TEMPORAL_DEADLINE_MS = 3000;

export interface StatusDeps {
  sql: Sql;
  config: Record<string, unknown> & { TEMPORAL_TASK_QUEUE: string };
  client: Client;
}

export function readStatusRoutes(deps: StatusDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/status',
      {
        schema: {
          summary: 'How full the database is, per provider, kind and connection',
          tags: ['read'],
          security: [{ readToken: [] }],
          response: { 200: statusResponse, 401: errorResponse, 403: errorResponse },
        },
      },
      async (request, reply) => {
        if (!mayRead(request, reply, undefined)) return reply;
        const [connections, perKind, today, fetches] = await Promise.all([
          loadStatus(deps.sql),
          recordsByConnectionKind(deps.sql),
          requestsToday(deps.sql),
          openFetches(deps).catch(() => null),
        ]);
        const providers = providerBudgets(deps.config).map((budget) => {
          const kinds = new Map<string, { records: number; users: number }>();
          for (const row of perKind.filter((r) => r.provider === budget.name)) {
            const k = kinds.get(row.kind) ?? { records: 0, users: 0 };
            kinds.set(row.kind, { records: k.records + row.records, users: k.users + 1 });
          }
          return {
            provider: budget.name,
            requestsToday: today.get(budget.name) ?? 0,
            requestsPerDay: budget.requestsPerDay,
            requestsPerMinute: budget.requestsPerMinute,
            kinds: [...kinds].map(([kind, k]) => ({ kind, ...k })),
          };
        });
        return reply.header('cache-control', 'no-store').send({
          generatedAt: new Date().toISOString(),
          providers,
          connections: connections.map((c) => {
            const kindNames = new Set([
              ...c.kinds.map((k) => k.kind),
              ...c.coverage.map((k) => k.kind),
              ...perKind
                .filter((r) => r.provider === c.provider && r.user_id === c.user_id)
                .map((r) => r.kind),
            ]);
            return {
              provider: c.provider,
              user: c.user_id,
              status: c.status,
              lastSuccess: c.last_success?.toISOString() ?? null,
              failures24h: c.failures_24h,
              lastError: c.last_error,
              kinds: [...kindNames].sort().map((kind) => {
                const freshness = c.kinds.find((k) => k.kind === kind);
                const coverage = c.coverage.find((k) => k.kind === kind);
                return {
                  kind,
                  records:
                    perKind.find(
                      (r) => r.provider === c.provider && r.user_id === c.user_id && r.kind === kind,
                    )?.records ?? 0,
                  covered: coverage?.covered ?? [],
                  gaps: coverage?.gaps ?? [],
                  lastSuccess: freshness?.last_success
                    ? new Date(freshness.last_success).toISOString()
                    : null,
                  failing: freshness?.failing ?? false,
                };
              }),
            };
          }),
          pendingFetches: fetches,
        });
      },
    );
  };
}

/** Running fetch workflows on this task queue, from Temporal's visibility store. */
async function openFetches(deps: StatusDeps) {
  const types = FETCH_TYPES.map((t) => `'${t}'`).join(', ');
  const query = `ExecutionStatus = 'Running' AND WorkflowType IN (${types}) AND TaskQueue = '${deps.config.TEMPORAL_TASK_QUEUE.replaceAll("'", '')}'`;
  return deps.client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, async () => {
    const found = [];
    for await (const info of deps.client.workflow.list({ query, pageSize: 100 })) {
      found.push({
        workflowId: info.workflowId,
        type: info.type,
        user: (info.typedSearchAttributes.get(WEARHOUSE_USER) as string | undefined) ?? null,
        provider: (info.typedSearchAttributes.get(WEARHOUSE_PROVIDER) as string | undefined) ?? null,
        startedAt: info.startTime.toISOString(),
      });
      if (found.length >= MAX_LISTED_FETCHES) break;
    }
    return found;
  });
}
