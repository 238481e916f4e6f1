// The read API (docs/read-api.md) as one plugin: its own OpenAPI document generated from the route
// schemas (@fastify/swagger with fastify-type-provider-zod's transform, only the read routes), read-
// token auth on every data route, and query errors answered 400 with the offending parameter.
import swagger from '@fastify/swagger';
import type { FastifyError } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { ServeDeps } from '../app.ts';
import { createReadFetcher } from '../read-fetcher.ts';
import { createReadTokenCache } from '../read-token-cache.ts';
import { requireReadToken } from './read-auth.ts';
import { readDailyRoutes } from './read-daily.ts';
import { readRecordsRoutes } from './read-records.ts';
import { readStatusRoutes } from './read-status.ts';

const READ_ROUTES = /^\/v1\/(users\/|status$)/;

export function readApiRoutes(deps: ServeDeps): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'wearhouse read API',
          version: '1',
          description: 'Days, raw records and status from the wearhouse database (docs/read-api.md).',
        },
        components: {
          securitySchemes: {
            readToken: {
              type: 'http',
              scheme: 'bearer',
              description: 'wearhouse api-token create --user U | --all-users',
            },
          },
        },
      },
      // Only the read routes: the other routes of `serve` are for senders, not for apps.
      transform: (input) =>
        READ_ROUTES.test(input.url) ? jsonSchemaTransform(input) : { schema: { hide: true }, url: input.url },
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (hasZodFastifySchemaValidationErrors(error)) {
        const issues = error.validation.slice(0, 20).map((issue) => ({
          path: `${error.validationContext ?? 'query'}${issue.instancePath.replaceAll('/', '.')}`,
          message: issue.message,
        }));
        return reply.code(400).send({
          error: 'bad_request',
          message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
          issues,
        });
      }
      request.log.error({ err: { message: error.message, code: error.code } }, 'read failed');
      return reply.code(error.statusCode && error.statusCode < 500 ? error.statusCode : 500).send({
        error: error.statusCode && error.statusCode < 500 ? 'bad_request' : 'internal',
        message: error.statusCode && error.statusCode < 500 ? error.message : 'internal error',
      });
    });

    const fetcher = createReadFetcher({
      client: deps.temporal.client,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      onError: (error, fetch) =>
        deps.logger.warn(
          { userId: fetch.userId, provider: fetch.provider, err: String(error) },
          'read API: could not ask Temporal for missing days; answering pending',
        ),
    });

    const tokens = createReadTokenCache(deps.sql, {
      onListenError: (error) =>
        deps.logger.warn(
          { err: String(error) },
          'read API: cannot listen for token changes; not caching tokens',
        ),
    });
    app.addHook('onClose', () => tokens.close());

    await app.register(async (authenticated) => {
      authenticated.addHook('onRequest', requireReadToken(tokens));
      await authenticated.register(
        readDailyRoutes({
          sql: deps.sql,
          fetcher,
          rescoreLookbackDays: deps.config.RESCORE_LOOKBACK_DAYS,
          fetchRetryAfterS: deps.config.READ_FETCH_RETRY_AFTER_S,
          now: deps.now,
        }),
      );
      await authenticated.register(readRecordsRoutes({ sql: deps.sql }));
      await authenticated.register(
        readStatusRoutes({ sql: deps.sql, config: deps.config, client: deps.temporal.client }),
      );
    });

    app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').send(app.swagger()),
    );
  };
}
