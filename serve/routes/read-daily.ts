// GET /v1/users/{user}/daily (docs/read-api.md): one entry per local day with its status; missing
// days are asked of Temporal (serve/read-days.ts) and waited for up to `wait`; what is still pending
// or failed is answered with Retry-After (pending: 5 s; failed: until a read asks again). Days that are all settled get an ETag (If-None-Match → 304) and a
// Cache-Control: long when every day is final, short inside the rescore lookback.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ReadDaysDeps, readDaily } from '../read-days.ts';
import { mayRead } from './read-auth.ts';
import {
  DEFAULT_WAIT_MS,
  dailyQuery,
  dailyResponse,
  errorResponse,
  MAX_DAILY_SPAN_DAYS,
  userParams,
} from './read-schemas.ts';

const DAY_MS = 86_400_000;
/** Seconds a client should wait before asking again for pending days. */
export const PENDING_RETRY_AFTER_S = 5;
const FINAL_MAX_AGE_S = 86_400;
const RECENT_MAX_AGE_S = 60;

type DailyBody = z.infer<typeof dailyResponse>;

export function readDailyRoutes(deps: ReadDaysDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/users/:user/daily',
      {
        schema: {
          summary: 'A user’s local days: headline measures and whether each day is complete',
          tags: ['read'],
          security: [{ readToken: [] }],
          params: userParams,
          querystring: dailyQuery,
          response: {
            200: dailyResponse,
            304: z.null().describe('Not modified: the days are as the If-None-Match tag says'),
            400: errorResponse,
            401: errorResponse,
            403: errorResponse,
            404: errorResponse,
          },
        },
      },
      async (request, reply) => {
        const { user } = request.params;
        if (!mayRead(request, reply, user)) return reply;
        const { from, to, wait, detail } = request.query;
        const span = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
        if (span < 1)
          return reply.code(400).send({ error: 'bad_request', message: 'from must not be after to' });
        if (span > MAX_DAILY_SPAN_DAYS) {
          return reply.code(400).send({
            error: 'bad_request',
            message: `at most ${MAX_DAILY_SPAN_DAYS} days per request (asked for ${span})`,
          });
        }
        // Local days run up to 14 h ahead of UTC: tomorrow (UTC) can be somebody's today.
        if (Date.parse(to) > Date.now() + DAY_MS) {
          return reply.code(400).send({ error: 'bad_request', message: 'to lies in the future' });
        }
        const answer = await readDaily(deps, {
          userId: user,
          from,
          to,
          waitMs: wait ?? DEFAULT_WAIT_MS,
          detail: detail === 'providers',
        });
        if (!answer) return reply.code(404).send({ error: 'not_found', message: `unknown user "${user}"` });
        const body: DailyBody = {
          user,
          from,
          to,
          pending: answer.pending,
          failed: answer.failed,
          days: answer.days,
        };
        // Serialized once, here: the ETag is the hash of exactly the bytes sent, and the reply's
        // serializer hands Fastify those bytes instead of the zod schema's encoding (which walked
        // every day again per request). The schema still types `body` and documents it in
        // /openapi.json, and test/serve-read-api.test.ts validates real answers against that.
        const json = JSON.stringify(body);
        const sendBody = () =>
          reply
            .serializer(() => json)
            .header('content-type', 'application/json; charset=utf-8')
            .send(body);
        if (answer.pending.length > 0 || answer.failed.length > 0) {
          const retryAfter = Math.min(
            ...(answer.pending.length > 0 ? [PENDING_RETRY_AFTER_S] : []),
            ...answer.failed.map((f) => f.retryAfterS),
          );
          reply.header('retry-after', String(retryAfter)).header('cache-control', 'no-store');
          return sendBody();
        }
        const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
        const maxAge = answer.days.every((d) => d.final) ? FINAL_MAX_AGE_S : RECENT_MAX_AGE_S;
        reply.header('etag', etag).header('cache-control', `private, max-age=${maxAge}`);
        if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
        return sendBody();
      },
    );
  };
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
