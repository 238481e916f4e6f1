// Read-token checks for the read API (docs/read-api.md): no or unknown token → 401; a one-user token
// asking for another user, or for /v1/status → 403. Run before any handler touches data. Live tokens
// come from serve's bounded cache (serve/read-token-cache.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ReadScope } from '../../store/read-tokens.ts';
import type { ReadTokenCache } from '../read-token-cache.ts';
import { bearerToken } from './ingest.ts';

declare module 'fastify' {
  interface FastifyRequest {
    readScope?: ReadScope;
  }
}

/** onRequest hook: sets request.readScope, or answers 401. */
export function requireReadToken(tokens: ReadTokenCache) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request.headers.authorization);
    const scope = token ? await tokens.scopeFor(token) : undefined;
    if (!scope) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="wearhouse read"')
        .send({
          error: 'unauthorized',
          message: token ? 'invalid or revoked read token' : 'missing Bearer read token',
        });
    }
    request.readScope = scope;
  };
}

/** True when the request's token may read this user's data; otherwise answers 403. */
export function mayRead(request: FastifyRequest, reply: FastifyReply, userId: string | undefined): boolean {
  const scope = request.readScope;
  if (scope?.allUsers || (scope && userId !== undefined && scope.userId === userId)) return true;
  void reply.code(403).send({
    error: 'forbidden',
    message:
      userId === undefined
        ? 'this endpoint needs a token made with --all-users'
        : 'this token reads another user',
  });
  return false;
}
