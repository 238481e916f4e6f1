// The providers the request measurements (budget, efficiency) run against, each as what the bench needs
// of it: its module (the same one `wearhouse worker` wires), a sandbox enforcing an app budget of B
// requests/min, the worker environment pointing at that sandbox, and the facts a figure is read
// against (page capacity, the path of data requests). Adding a pull provider to the comparison is one
// entry here (bench/README.md, "Providers side by side").
import { provider as ouraModule } from '../providers/oura/index.ts';
import { startOuraSandbox } from '../providers/oura/sandbox/index.ts';
import type { ProviderModule } from '../providers/types.ts';
import { WHOOP_PAGE_LIMIT } from '../providers/whoop/client.ts';
import { provider as whoopModule } from '../providers/whoop/index.ts';
import { startWhoopSandbox } from '../providers/whoop/sandbox/index.ts';

export interface BenchTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface BenchSandbox {
  url: string;
  tokenUrl: string;
  /** The provider's variables for a worker (or a runtime) that talks to this sandbox at B/min. */
  env: Record<string, string>;
  issueTokens(userId: string): BenchTokens;
  /** 429s the sandbox answered because the app's (or a token's) budget was spent. */
  budget429(): number;
  close(): Promise<void>;
}

export interface BenchProvider {
  /** The provider's name as the catalog knows it (connections, workflow inputs). */
  name: string;
  displayName: string;
  module: ProviderModule;
  /** Most records one page holds: 1/pageLimit requests per record is the floor. */
  pageLimit: number;
  /** Where the page limit comes from, for the report. */
  pageLimitSource: string;
  /** Path prefix of the data requests (not the token endpoint, not control routes). */
  dataPath: string;
  startSandbox(options: { requestsPerMinute: number; requestsPerDay: number }): Promise<BenchSandbox>;
}

const SANDBOX_CLIENT = { id: 'sandbox-client', secret: 'sandbox-secret' };

export const WHOOP_BENCH: BenchProvider = {
  name: 'whoop',
  displayName: 'WHOOP',
  module: whoopModule as ProviderModule,
  pageLimit: WHOOP_PAGE_LIMIT,
  pageLimitSource: "WHOOP's documented maximum `limit`",
  dataPath: '/developer/',
  async startSandbox({ requestsPerMinute, requestsPerDay }) {
    const sandbox = await startWhoopSandbox({ requestsPerMinute, requestsPerDay });
    return {
      url: sandbox.url,
      tokenUrl: sandbox.tokenUrl,
      env: {
        WHOOP_API_URL: sandbox.url,
        WHOOP_TOKEN_URL: sandbox.tokenUrl,
        WHOOP_CLIENT_ID: SANDBOX_CLIENT.id,
        WHOOP_CLIENT_SECRET: SANDBOX_CLIENT.secret,
        WHOOP_REQUESTS_PER_MINUTE: String(requestsPerMinute),
        WHOOP_REQUESTS_PER_DAY: String(requestsPerDay),
      },
      issueTokens: (userId) => sandbox.control.issueTokens(userId),
      budget429: () => sandbox.control.stats().budget429,
      close: () => sandbox.close(),
    };
  },
};

/** The Oura sandbox's page size for day-filtered collections (Oura documents none). */
const OURA_SANDBOX_PAGE_SIZE = 50;

export const OURA_BENCH: BenchProvider = {
  name: 'oura',
  displayName: 'Oura',
  module: ouraModule as ProviderModule,
  pageLimit: OURA_SANDBOX_PAGE_SIZE,
  pageLimitSource: "the sandbox's page size (Oura documents none)",
  dataPath: '/v2/',
  async startSandbox({ requestsPerMinute }) {
    // The app layer is the budget under test; the per-token layer keeps Oura's default (5,000 per
    // 5 minutes), far above what one user's windows ask for (providers/oura/client.ts).
    const sandbox = await startOuraSandbox({
      appLimit: { limit: requestsPerMinute, windowSeconds: 60 },
      pageSize: OURA_SANDBOX_PAGE_SIZE,
    });
    return {
      url: sandbox.url,
      tokenUrl: sandbox.tokenUrl,
      env: {
        OURA_API_URL: sandbox.url,
        OURA_TOKEN_URL: sandbox.tokenUrl,
        OURA_AUTHORIZE_URL: sandbox.authorizeUrl,
        OURA_CLIENT_ID: SANDBOX_CLIENT.id,
        OURA_CLIENT_SECRET: SANDBOX_CLIENT.secret,
        OURA_REQUESTS_PER_MINUTE: String(requestsPerMinute),
      },
      issueTokens: (userId) => sandbox.control.issueTokens(userId),
      budget429: () => {
        const stats = sandbox.control.stats();
        return stats.app429 + stats.token429;
      },
      close: () => sandbox.close(),
    };
  },
};

export const BENCH_PROVIDERS: readonly BenchProvider[] = [WHOOP_BENCH, OURA_BENCH];
