// The HTTP front door as a Fastify app: zod-validated routes, a request id on every request and log
// line, one log line per request (method, route pattern, status, time — never the query string,
// headers or body, which carry tokens, OAuth codes and health data), Prometheus metrics, and errors
// mapped to the statuses senders can act on (400 malformed, 401, 413, 415, 422 with paths).
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, LogController } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ProviderRuntimes } from '../providers/registry.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import type { Logger } from '../worker/logger.ts';
import type { Dispatcher } from './dispatch.ts';
import type { ServeMetrics } from './metrics.ts';
import { healthRoutes, type TemporalPing } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { readApiRoutes } from './routes/read-api.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export interface ServeDeps {
  config: Config;
  sql: Sql;
  cipher: TokenCipher;
  logger: Logger;
  metrics: ServeMetrics;
  dispatcher: Dispatcher;
  /** Every provider's runtime (webhooks, OAuth), built as the worker builds them. */
  providers: ProviderRuntimes;
  /** Reaches Temporal (health) and starts workflows (connect's schedule and backfill). */
  temporal: TemporalPing;
  now?: () => Date;
}

/** A sender's own request id is kept when it looks like one; otherwise a fresh uuid. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: ServeDeps) {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'serve' }) as FastifyBaseLogger,
    // Fastify's own request lines carry the URL (with OAuth codes in query strings): ours instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Routes that take bodies set their own limits; everything else is small.
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.observe({
      method: request.method,
      route,
      status: reply.statusCode,
      seconds,
      bytesIn: Number(request.headers['content-length'] ?? 0) || 0,
      bytesOut: Number(reply.getHeader('content-length') ?? 0) || 0,
    });
    request.log.info(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.slice(0, 50).map((issue) => ({
        path: `${error.validationContext ?? 'body'}${issue.instancePath.replaceAll('/', '.')}`.replace(
          /\.$/,
          '',
        ),
        message: issue.message,
      }));
      return reply.code(422).send({ error: 'schema', message: 'the body does not match the schema', issues });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: { message: error.message, code: error.code } }, 'request failed');
      return reply.code(status).send({ error: 'internal', message: 'internal error; nothing was stored' });
    }
    const known: Record<string, string> = {
      FST_ERR_CTP_BODY_TOO_LARGE: 'too_large',
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
      FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
    };
    return reply.code(status).send({ error: known[error.code] ?? 'bad_request', message: error.message });
  });

  await app.register(healthRoutes(deps));
  await app.register(ingestRoutes(deps));
  await app.register(webhookRoutes(deps));
  await app.register(oauthRoutes(deps));
  await app.register(readApiRoutes(deps));
  return app;
}
