// The Junction sandbox as the provider contract offers it: `wearhouse sandbox junction` and the demo's users.
import type { ProviderSandbox } from '../types.ts';
import { startJunctionSandbox } from './sandbox/index.ts';

const DEMO_USERS = ['alice', 'bob', 'carol'] as const;

export const junctionSandbox: ProviderSandbox = {
  async start(options) {
    // The sandbox follows the real clock unless told otherwise, so new days appear by themselves.
    const sandbox = await startJunctionSandbox({
      port: options.port,
      requestsPerMinute: options.requestsPerMinute,
    });
    return {
      url: sandbox.url,
      config: {
        JUNCTION_API_URL: sandbox.url,
        JUNCTION_API_KEY: sandbox.apiKey,
        JUNCTION_WEBHOOK_SECRET: sandbox.webhookSecret,
      },
      demoUsers: DEMO_USERS,
      grant: (userId) => ({ type: 'api_key', externalUserId: sandbox.userId(userId) }),
      close: () => sandbox.close(),
    };
  },
  async runCli(args) {
    const portFlag = args.indexOf('--port');
    const port = portFlag >= 0 ? Number(args[portFlag + 1]) : 8788;
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new Error('--port: expected a port number');
    const rpmFlag = args.indexOf('--rpm');
    const requestsPerMinute = rpmFlag >= 0 ? Number(args[rpmFlag + 1]) : undefined;
    if (requestsPerMinute !== undefined && !(Number.isInteger(requestsPerMinute) && requestsPerMinute > 0)) {
      throw new Error('--rpm: expected a whole number of requests per minute');
    }
    const sandbox = await startJunctionSandbox({ port, requestsPerMinute });
    process.stdout.write(
      [
        `Junction sandbox on ${sandbox.url}`,
        `  JUNCTION_API_URL=${sandbox.url}`,
        `  JUNCTION_API_KEY=${sandbox.apiKey}`,
        `  JUNCTION_WEBHOOK_SECRET=${sandbox.webhookSecret}`,
        ...sandbox.users.map((u) => `  ${u.name}: --junction-user-id ${u.userId}`),
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await sandbox.close();
  },
};
