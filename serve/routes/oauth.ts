// Hosted connect: GET /oauth/:provider/start?user=U → 302 to the provider's login (PKCE S256, a
// single-use state that expires, stored hashed) → GET /oauth/:provider/callback stores the tokens
// (encrypted), creates the sync schedule and starts the initial backfill, as `wearhouse connect` does.
// Starting a login stores a row, so it is authenticated: HTTP Basic (user id : that user's ingest
// token; a browser asks for it) or a Bearer ingest token of the same user.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { connectWithTokens } from '../../cli/operations.ts';
import { ProviderError } from '../../providers/errors.ts';
import { setExternalUserId } from '../../store/connections.ts';
import { userForToken } from '../../store/ingest-tokens.ts';
import { consumeLogin, createLogin } from '../../store/oauth-states.ts';
import type { ServeDeps } from '../app.ts';
import { connectAppOf } from '../providers.ts';
import { bearerToken } from './ingest.ts';

const LOGIN_TTL_SECONDS = 600;
const userId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/);
const params = z.object({ provider: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/) });

/** The user the request proves to be, from Basic (user:token) or Bearer (token). */
async function authenticatedUser(deps: ServeDeps, authorization: string | undefined) {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return undefined;
    const owner = await userForToken(deps.sql, decoded.slice(colon + 1));
    return owner === decoded.slice(0, colon) ? owner : undefined;
  }
  const token = bearerToken(authorization);
  return token ? userForToken(deps.sql, token) : undefined;
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${text}</p>\n`;

export function oauthRoutes(deps: ServeDeps): FastifyPluginAsyncZod {
  const base = deps.config.WEARHOUSE_PUBLIC_URL.replace(/\/$/, '');
  return async (app) => {
    app.get(
      '/oauth/:provider/start',
      { schema: { params, querystring: z.object({ user: userId.optional() }) } },
      async (request, reply) => {
        const { provider } = request.params;
        const connect = connectAppOf(deps.providers, provider);
        if (!connect)
          return reply.code(404).send({ error: 'not_found', message: `no hosted connect for "${provider}"` });
        const owner = await authenticatedUser(deps, request.headers.authorization);
        const wanted = request.query.user ?? owner;
        if (!owner || owner !== wanted) {
          return reply
            .code(401)
            .header('www-authenticate', 'Basic realm="wearhouse connect", charset="UTF-8"')
            .send({ error: 'unauthorized', message: 'log in with your user id and ingest token' });
        }
        const redirectUri = `${base}/oauth/${provider}/callback`;
        const login = await createLogin(deps.sql, deps.cipher, {
          provider,
          userId: owner,
          redirectUri,
          ttlSeconds: LOGIN_TTL_SECONDS,
        });
        const target = new URL(connect.authorizeUrl);
        target.search = new URLSearchParams({
          response_type: 'code',
          client_id: connect.clientId,
          redirect_uri: redirectUri,
          scope: connect.scope,
          state: login.state,
          ...(connect.pkce
            ? {
                code_challenge: createHash('sha256').update(login.codeVerifier).digest('base64url'),
                code_challenge_method: 'S256',
              }
            : {}),
        }).toString();
        request.log.info({ provider, userId: owner }, 'hosted connect started');
        return reply
          .code(302)
          .header('location', target.toString())
          .header('cache-control', 'no-store')
          .send();
      },
    );

    app.get(
      '/oauth/:provider/callback',
      {
        schema: {
          params,
          querystring: z.object({
            state: z.string().min(1).max(200).optional(),
            code: z.string().min(1).max(2000).optional(),
            error: z.string().max(200).optional(),
          }),
        },
      },
      async (request, reply) => {
        const { provider } = request.params;
        const connect = connectAppOf(deps.providers, provider);
        const html = (status: number, title: string, text: string) =>
          reply
            .code(status)
            .type('text/html; charset=utf-8')
            .header('cache-control', 'no-store')
            .send(page(title, text));
        if (!connect) return html(404, 'Not found', `No hosted connect for this provider.`);
        const { state, code, error } = request.query;
        const login = state ? await consumeLogin(deps.sql, deps.cipher, provider, state) : undefined;
        if (!login)
          return html(400, 'Login expired', 'This login link is unknown, used or expired: start again.');
        if (error || !code) {
          request.log.warn(
            { provider, userId: login.userId, oauthError: error ?? 'no code' },
            'hosted connect refused',
          );
          return html(400, 'Not connected', 'The provider did not grant access; nothing was stored.');
        }
        let tokens: Awaited<ReturnType<typeof connect.exchangeCode>>;
        try {
          tokens = await connect.exchangeCode(
            code,
            login.redirectUri,
            connect.pkce ? login.codeVerifier : undefined,
          );
        } catch (failure) {
          if (!(failure instanceof ProviderError)) throw failure;
          request.log.warn(
            { provider, userId: login.userId, reason: failure.message },
            'code exchange failed',
          );
          return html(502, 'Not connected', 'The provider did not accept the login; start again.');
        }
        const result = await connectWithTokens(
          { sql: deps.sql, client: deps.temporal.client, cipher: deps.cipher, config: deps.config },
          {
            provider,
            userId: login.userId,
            accessToken: tokens.accessToken,
            refreshToken: tokens.refreshToken,
            expiresInSeconds: Math.max(0, Math.round((tokens.expiresAt.getTime() - Date.now()) / 1000)),
            initialBackfillDays: deps.config.INITIAL_BACKFILL_DAYS,
          },
        );
        // Webhooks name users by the provider's id: remember it (best effort; polling works without).
        const externalId = await connect.identify?.(tokens.accessToken).catch((failure: unknown) => {
          request.log.warn(
            { provider, userId: login.userId, err: String(failure) },
            'could not read the provider user id',
          );
          return undefined;
        });
        if (externalId) await setExternalUserId(deps.sql, provider, login.userId, externalId);
        request.log.info(
          { provider, userId: login.userId, backfill: result.backfill?.workflowId ?? null },
          'hosted connect done',
        );
        return html(
          200,
          'Connected',
          'wearhouse is connected and fetching your history; you can close this tab.',
        );
      },
    );
  };
}
