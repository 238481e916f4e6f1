// GET /v1/users/{user}/records (docs/read-api.md): the raw provider documents of one kind over local
// days, keyset-paged with an opaque cursor. Answers from Postgres only; never fetches.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Queryable } from '../../store/db.ts';
import { decodeCursor, encodeCursor, recordPage } from '../../store/read-records.ts';
import { mayRead } from './read-auth.ts';
import { errorResponse, recordsQuery, recordsResponse, userParams } from './read-schemas.ts';

const DEFAULT_LIMIT = 100;

export function readRecordsRoutes(deps: { sql: Queryable }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/users/:user/records',
      {
        schema: {
          summary: 'A user’s raw provider documents of one kind, cursor-paged',
          tags: ['read'],
          security: [{ readToken: [] }],
          params: userParams,
          querystring: recordsQuery,
          response: { 200: recordsResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse },
        },
      },
      async (request, reply) => {
        const { user } = request.params;
        if (!mayRead(request, reply, user)) return reply;
        const { cursor, limit, ...filter } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor);
        if (cursor !== undefined && !after) {
          return reply
            .code(400)
            .send({ error: 'bad_request', message: 'cursor is not one this API gave out' });
        }
        if (filter.from > filter.to) {
          return reply.code(400).send({ error: 'bad_request', message: 'from must not be after to' });
        }
        const page = await recordPage(deps.sql, { userId: user, ...filter, after }, limit ?? DEFAULT_LIMIT);
        return reply
          .header('cache-control', 'private, no-cache')
          .send({ records: page.records, nextCursor: page.next ? encodeCursor(page.next) : null });
      },
    );
  };
}
