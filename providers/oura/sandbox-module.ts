// The Oura sandbox as the provider contract offers it: `wearhouse sandbox oura` and the demo's users
// (alice is also a WHOOP demo user: one person with both devices).
import type { ProviderSandbox } from '../types.ts';
import { runOuraSandboxCli } from './sandbox/cli.ts';
import { startOuraSandbox } from './sandbox/index.ts';

const DEMO_USERS = ['alice', 'dana', 'erik'] as const;

export const ouraSandbox: ProviderSandbox = {
  async start(options) {
    const rpm = options.requestsPerMinute;
    const sandbox = await startOuraSandbox({
      port: options.port,
      ...(rpm ? { appLimit: { limit: rpm, windowSeconds: 60 } } : {}),
    });
    return {
      url: sandbox.url,
      config: {
        OURA_API_URL: sandbox.url,
        OURA_TOKEN_URL: sandbox.tokenUrl,
        OURA_AUTHORIZE_URL: sandbox.authorizeUrl,
        OURA_CLIENT_ID: 'sandbox-client',
        OURA_CLIENT_SECRET: 'sandbox-secret',
        ...(rpm ? { OURA_REQUESTS_PER_MINUTE: rpm } : {}),
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
  runCli: (args) => runOuraSandboxCli(args),
};
