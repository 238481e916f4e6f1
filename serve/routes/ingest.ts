// POST /v1/ingest/<format path> (Health Auto Export: /v1/ingest/apple-health). Order matters:
// the ingest token is checked before the body is read (401 stores nothing); the body is limited
// (413), parsed (400) and validated (422 with paths); the exact bytes are committed as a batch; only
// then is the answer 2xx and normalization started (serve/dispatch.ts).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type PushFormat, pushFormats } from '../../providers/push-formats.ts';
import { storeBatch } from '../../store/ingest-batches.ts';
import { userForToken } from '../../store/ingest-tokens.ts';
import type { ServeDeps } from '../app.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    ingestUserId?: string;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

function keptHeaders(format: PushFormat, headers: Record<string, string | string[] | undefined>) {
  const kept: Record<string, string> = {};
  for (const name of format.keptHeaders) {
    const value = headers[name];
    if (typeof value === 'string') kept[name] = value.slice(0, 200);
  }
  return kept;
}

export function ingestRoutes(deps: ServeDeps): FastifyPluginAsyncZod {
  const bodyLimit = deps.config.INGEST_MAX_BYTES;
  return async (app) => {
    app.decorateRequest('rawBody', undefined);
    app.decorateRequest('ingestUserId', undefined);
    // The raw bytes are what is stored (and hashed); JSON is parsed from them once.
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
      const bytes = body as Buffer;
      request.rawBody = bytes;
      try {
        done(null, JSON.parse(bytes.toString('utf8')));
      } catch {
        done(
          Object.assign(new Error('the body is not valid JSON'), {
            statusCode: 400,
            code: 'FST_ERR_CTP_INVALID_JSON_BODY',
          }),
          undefined,
        );
      }
    });

    for (const format of pushFormats) {
      app.post(
        `/v1/ingest/${format.path}`,
        {
          bodyLimit,
          schema: { body: format.schema },
          onRequest: async (request, reply) => {
            const token = bearerToken(request.headers.authorization);
            const userId = token ? await userForToken(deps.sql, token) : undefined;
            if (!userId) {
              return reply
                .code(401)
                .header('www-authenticate', 'Bearer realm="wearhouse ingest"')
                .send({
                  error: 'unauthorized',
                  message: token ? 'invalid or revoked ingest token' : 'missing Bearer ingest token',
                });
            }
            request.ingestUserId = userId;
          },
        },
        async (request, reply) => {
          const userId = request.ingestUserId as string;
          const payload = request.rawBody as Buffer;
          const session = format.sessionHeader ? request.headers[format.sessionHeader] : undefined;
          const stored = await storeBatch(deps.sql, {
            userId,
            provider: format.provider,
            format: format.name,
            payload,
            sessionId: typeof session === 'string' ? session.slice(0, 200) : null,
            headers: keptHeaders(format, request.headers),
          });
          deps.metrics.ingestBatch(format.name, stored.created ? 'stored' : 'duplicate');
          request.log.info(
            { userId, batchId: stored.id, bytes: payload.length, duplicate: !stored.created },
            'ingest batch stored',
          );
          // Committed: the answer is 2xx whatever happens next, without waiting for Temporal (a slow
          // or down Temporal must not slow senders down); a start that fails or is cut by a crash is
          // re-queued by the sweeper, and shutdown waits for starts in flight (serve/server.ts).
          if (stored.created) void deps.dispatcher.normalize(stored.id);
          return reply
            .code(200)
            .send({ batchId: stored.id, status: stored.created ? 'stored' : 'duplicate' });
        },
      );
    }
  };
}
