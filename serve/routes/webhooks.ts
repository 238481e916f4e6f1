// POST /v1/webhooks/:provider (and GET for providers that verify the endpoint with a challenge).
// The provider's hook verifies the exact bytes first: a delivery that does not verify gets 401 and
// leaves nothing but a counter. A verified one is stored (one row per distinct delivery), its
// deletions applied in the same transaction, and only after the commit is it acknowledged and its
// fetches started through Temporal.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { WebhookRejected } from '../../providers/errors.ts';
import type { WebhookEvent } from '../../providers/types.ts';
import { getConnectionByExternalUser } from '../../store/connections.ts';
import {
  existingWebhookEvent,
  insertWebhookEvent,
  type StoredAction,
  softDeleteRecord,
  type WebhookStatus,
} from '../../store/webhook-events.ts';
import type { ServeDeps } from '../app.ts';
import { webhooksOf } from '../providers.ts';

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
      const hooks = webhooksOf(deps.providers, request.params.provider);
      if (!hooks?.challenge) return reply.code(404).send({ error: 'not_found', message: 'no such webhook' });
      const answer = hooks.challenge(request.query as Record<string, string | undefined>);
      return reply.code(answer.status).send(answer.body);
    });

    app.post('/v1/webhooks/:provider', { schema: { params } }, async (request, reply) => {
      const { provider } = request.params;
      const hooks = webhooksOf(deps.providers, provider);
      if (!hooks) return reply.code(404).send({ error: 'not_found', message: 'no such webhook' });
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
      try {
        events = hooks.parse(rawBody);
      } catch (error) {
        // Verified, so it is the provider's: kept (status invalid) and acknowledged, not retried.
        parseError = error instanceof Error ? error.message : String(error);
      }
      // Users are resolved before the transaction (plain reads), so it only writes.
      const users = new Map<string, string | undefined>();
      for (const event of events) {
        if (!users.has(event.externalUserId)) {
          users.set(
            event.externalUserId,
            (await getConnectionByExternalUser(deps.sql, provider, event.externalUserId))?.user_id,
          );
        }
      }
      const actions: StoredAction[] = [];
      for (const event of events) {
        const userId = users.get(event.externalUserId);
        if (!userId) continue;
        if (event.type === 'fetch') {
          actions.push({
            type: 'fetch',
            userId,
            kind: event.kind,
            start: event.start.toISOString(),
            end: event.end.toISOString(),
          });
        } else if (event.type === 'delete') {
          actions.push({ type: 'delete', userId, kind: event.kind, sourceId: event.sourceId });
        } else {
          // Documents carried by the event itself need the provider's mapDocuments (the provider
          // interface); until that is wired here they stay in the stored event, counted.
          actions.push({ type: 'upsert', userId, kind: event.kind, count: event.documents.length });
        }
      }
      const status: WebhookStatus = parseError
        ? 'invalid'
        : events.length > 0 && actions.length === 0
          ? 'unmatched'
          : 'stored';
      const externalUserId = events[0]?.externalUserId ?? null;

      const inserted = await deps.sql.begin(async (tx) => {
        const id = await insertWebhookEvent(tx, {
          provider,
          body: rawBody,
          externalUserId,
          userId: actions[0]?.userId ?? null,
          status,
          error: parseError,
          actions,
        });
        if (!id || status !== 'stored') return id;
        for (const action of actions) {
          if (action.type === 'delete') await softDeleteRecord(tx, { provider, ...action });
        }
        return id;
      });

      if (!inserted) {
        const existing = await existingWebhookEvent(deps.sql, provider, rawBody);
        deps.metrics.webhookEvent(provider, 'duplicate');
        return reply.code(200).send({ eventId: existing?.id ?? null, status: 'duplicate' });
      }
      deps.metrics.webhookEvent(provider, status);
      request.log.info({ provider, eventId: inserted, status, actions: actions.length }, 'webhook stored');
      if (status === 'stored') await deps.dispatcher.webhook(inserted, provider, actions);
      return reply.code(200).send({ eventId: inserted, status });
    });
  };
}
