// GET /health (Postgres and Temporal both answer, else 503 naming which) and GET /metrics.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServeDeps } from '../app.ts';

export interface TemporalPing {
  client: Client;
  /** Resolves when the Temporal frontend answers. */
  ping(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 3000;

async function check(probe: () => Promise<unknown>): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: ServeDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/health', async (_request, reply) => {
      const [postgres, temporal] = await Promise.all([
        check(() => deps.sql`select 1`),
        check(() => deps.temporal.ping()),
      ]);
      const ok = postgres === 'ok' && temporal === 'ok';
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', postgres, temporal });
    });

    app.get('/metrics', async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    });
  };
}
