// The WHOOP sandbox as the provider contract offers it: `wearhouse sandbox whoop` and the demo's users.
import type { ProviderSandbox } from '../types.ts';
import { runSandboxCli } from './sandbox/cli.ts';
import { startWhoopSandbox } from './sandbox/index.ts';

/** Three demo users with a year of data each. */
const DEMO_USERS = ['alice', 'bob', 'carol'] as const;

export const whoopSandbox: ProviderSandbox = {
  async start(options) {
    const sandbox = await startWhoopSandbox({
      port: options.port,
      requestsPerMinute: options.requestsPerMinute,
      autoExtend: options.autoExtend,
    });
    return {
      url: sandbox.url,
      config: {
        WHOOP_API_URL: sandbox.url,
        WHOOP_TOKEN_URL: sandbox.tokenUrl,
        WHOOP_AUTH_URL: sandbox.authUrl,
        WHOOP_CLIENT_ID: 'sandbox-client',
        WHOOP_CLIENT_SECRET: 'sandbox-secret',
        ...(options.requestsPerMinute ? { WHOOP_REQUESTS_PER_MINUTE: options.requestsPerMinute } : {}),
      },
      demoUsers: DEMO_USERS,
      grant(userId) {
        const tokens = sandbox.control.issueTokens(userId);
        return {
          type: 'oauth',
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresInSeconds: tokens.expiresIn,
        };
      },
      close: () => sandbox.close(),
    };
  },
  runCli: (args) => runSandboxCli(args),
};
