// What `serve` needs from each provider, by name: its webhook hooks and its hosted-connect OAuth app.
// Until every provider module carries these on the provider interface (`webhooks`, `oauth`), this is
// the one list; routes look providers up here and never name one.
import type { Config } from '../worker/config.ts';
import type { ProviderApi, RequestStats } from './types.ts';
import type { WebhookHooks } from './webhooks.ts';
import type { WhoopProvider } from './whoop/index.ts';
import { createWhoopWebhooks } from './whoop/webhooks.ts';

export interface ConnectApp {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  pkce: boolean;
  /** The provider's own id of the user behind a token: webhooks name users by it. */
  identify?(accessToken: string): Promise<string | undefined>;
}

export interface ServeHooks {
  webhooks: ReadonlyMap<string, WebhookHooks>;
  connect: ReadonlyMap<string, ConnectApp>;
}

// The same scopes `wearhouse connect whoop` asks for (cli/commands.ts).
const WHOOP_SCOPE =
  'offline read:cycles read:recovery read:sleep read:workout read:profile read:body_measurement';

export function createServeHooks(config: Config, providers: ReadonlyMap<string, ProviderApi>): ServeHooks {
  const webhooks = new Map<string, WebhookHooks>();
  const connect = new Map<string, ConnectApp>();
  webhooks.set(
    'whoop',
    createWhoopWebhooks({
      clientSecret: config.WHOOP_CLIENT_SECRET,
      toleranceSeconds: config.WEBHOOK_TOLERANCE_SECONDS,
      lookbackDays: config.RESCORE_LOOKBACK_DAYS,
    }),
  );
  const whoop = providers.get('whoop') as WhoopProvider | undefined;
  if (config.WHOOP_CLIENT_ID && config.WHOOP_CLIENT_SECRET) {
    connect.set('whoop', {
      authorizeUrl: config.WHOOP_AUTH_URL,
      tokenUrl: config.WHOOP_TOKEN_URL,
      clientId: config.WHOOP_CLIENT_ID,
      clientSecret: config.WHOOP_CLIENT_SECRET,
      scope: WHOOP_SCOPE,
      pkce: true,
      async identify(accessToken) {
        if (!whoop) return undefined;
        const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
        const page = await whoop.fetchProfile(accessToken, stats);
        const userId = page.records[0]?.payload.user_id;
        return userId === undefined ? undefined : String(userId);
      },
    });
  }
  return { webhooks, connect };
}
