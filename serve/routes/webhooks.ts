// POST /v1/webhooks/:provider (and GET for providers that verify the endpoint with a challenge).
// The provider's hook verifies the exact bytes first: a delivery that does not verify gets 401 and
// leaves nothing but a counter. A verified one is stored (one row per distinct delivery) and, in the
// same transaction, what it carries is applied (documents upserted, deletions soft-deleted:
// store/webhook-apply.ts); only after the commit is it acknowledged and its fetches or backfills
// started through Temporal.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { WebhookRejected } from '../../providers/errors.ts';
import type { WebhookEvent } from '../../providers/types.ts';
import { getConnectionByExternalUser } from '../../store/connections.ts';
import { applyWebhookActions, type PlannedAction, planWebhookActions } from '../../store/webhook-apply.ts';
import {
  existingWebhookEvent,
  insertWebhookEvent,
  needsDispatch,
  recordActions,
  type StoredAction,
  type WebhookStatus,
} from '../../store/webhook-events.ts';
import type { ServeDeps } from '../app.ts';
import { webhookRuntimeOf } from '../providers.ts';

const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const params = z.object({ provider: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/) });

function flatHeaders(headers: Record<string, string | string[] | undefined>) {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name.toLowerCase(),
      Array.isArray(value) ? value[0] : value,
    ]),
  );
}

export function webhookRoutes(deps: ServeDeps): FastifyPluginAsyncZod {
  const now = deps.now ?? (() => new Date());
  return async (app) => {
    // Signatures are over the exact bytes: no parsing before verification, whatever the type.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );

    app.get('/v1/webhooks/:provider', { schema: { params } }, async (request, reply) => {
      const { provider } = request.params;
      const hooks = webhookRuntimeOf(deps.providers, provider)?.webhooks;
      if (!hooks?.challenge) return reply.code(404).send({ error: 'not_found', message: 'no such webhook' });
      const query = new URLSearchParams(request.query as Record<string, string>);
      try {
        return reply.code(200).send(hooks.challenge(query));
      } catch (error) {
        if (!(error instanceof WebhookRejected)) throw error;
        deps.metrics.webhookRejected(provider);
        request.log.warn({ provider, reason: error.message }, 'webhook challenge rejected');
        return reply.code(401).send({ error: 'unauthorized', message: 'verification token did not match' });
      }
    });

    app.post('/v1/webhooks/:provider', { schema: { params } }, async (request, reply) => {
      const { provider } = request.params;
      const runtime = webhookRuntimeOf(deps.providers, provider);
      const hooks = runtime?.webhooks;
      if (!runtime || !hooks) return reply.code(404).send({ error: 'not_found', message: 'no such webhook' });
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const at = now();
      try {
        hooks.verify(flatHeaders(request.headers), rawBody, at);
      } catch (error) {
        if (!(error instanceof WebhookRejected)) throw error;
        deps.metrics.webhookRejected(provider);
        request.log.warn({ provider, reason: error.message }, 'webhook rejected');
        return reply.code(401).send({ error: 'unauthorized', message: 'signature did not verify' });
      }

      let events: WebhookEvent[] = [];
      let parseError: string | null = null;
      // Users are resolved before the transaction (plain reads), so it only writes.
      const users = new Map<string, string | undefined>();
      let planned: PlannedAction[] = [];
      try {
        events = hooks.parse(rawBody);
        for (const { externalUserId } of events) {
          if (!users.has(externalUserId)) {
            const connection = await getConnectionByExternalUser(deps.sql, provider, externalUserId);
            users.set(externalUserId, connection?.user_id);
          }
        }
        planned = planWebhookActions(runtime, events, (id) => users.get(id));
      } catch (error) {
        // Verified, so it is the provider's: kept (status invalid) and acknowledged, not retried.
        parseError = error instanceof Error ? error.message : String(error);
        planned = [];
      }
      const actions = planned.map((p) => p.action);
      const status: WebhookStatus = parseError
        ? 'invalid'
        : events.length > 0 && actions.length === 0
          ? 'unmatched'
          : actions.some(needsDispatch)
            ? 'stored'
            : 'applied';
      const externalUserId = events[0]?.externalUserId ?? null;

      const stored = await deps.sql.begin(async (tx) => {
        const id = await insertWebhookEvent(tx, {
          provider,
          body: rawBody,
          externalUserId,
          userId: actions[0]?.userId ?? null,
          status,
          error: parseError,
          actions,
        });
        if (!id || (status !== 'stored' && status !== 'applied')) return id ? { id, actions } : undefined;
        // A re-delivery never gets here (the insert above found its row): applied once.
        const done = await applyWebhookActions(tx, provider, planned);
        await recordActions(tx, id, done);
        return { id, actions: done };
      });

      if (!stored) {
        const existing = await existingWebhookEvent(deps.sql, provider, rawBody);
        deps.metrics.webhookEvent(provider, 'duplicate');
        return reply.code(200).send({ eventId: existing?.id ?? null, status: 'duplicate' });
      }
      deps.metrics.webhookEvent(provider, status);
      request.log.info({ provider, eventId: stored.id, status, actions: actions.length }, 'webhook stored');
      if (status === 'stored') await deps.dispatcher.webhook(stored.id, provider, stored.actions);
      return reply.code(200).send({ eventId: stored.id, status, actions: summarize(stored.actions) });
    });
  };
}

/** What the answer says the event did: counts only (no user ids, no documents). */
function summarize(actions: readonly StoredAction[]) {
  const sum = { upserted: 0, deleted: 0, fetches: 0, backfills: 0 };
  for (const action of actions) {
    if (action.type === 'upsert') sum.upserted += (action.inserted ?? 0) + (action.updated ?? 0);
    else if (action.type === 'delete') sum.deleted += action.deleted ?? 0;
    else if (action.type === 'fetch') sum.fetches++;
    else sum.backfills++;
  }
  return sum;
}
