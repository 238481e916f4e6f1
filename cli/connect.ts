// `wearhouse connect <provider> --user U …`, the same for every provider, by its auth kind:
//   oauth    tokens given (--access-token/--refresh-token/--expires-in) or the browser login, from
//            the provider's descriptor (scopes, PKCE) and runtime (authorize URL, client, code exchange);
//   api_key  the user's id at the provider (--external-user-id, or the flag the provider's descriptor
//            names, externalUserIdFlag), checked with the provider before it is stored;
//   none     nothing but the user.
import { descriptorOf, providerCatalog } from '../providers/catalog.ts';
import { InvalidInputError } from '../providers/errors.ts';
import { moduleOf } from '../providers/modules.ts';
import { createLocalBudget } from '../providers/rate-budget.ts';
import type {
  ConnectionGrant,
  ProviderDescriptor,
  ProviderRuntime,
  RequestStats,
} from '../providers/types.ts';
import type { Config } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { parseConnectionInput } from '../workflows/inputs.ts';
import { cipherFor, openClients, resolveEndpoints } from './context.ts';
import { runOAuthFlow } from './oauth.ts';
import { connectUser } from './operations.ts';

type Values = Record<string, string | boolean | undefined>;

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The command-line flags naming a user's id at a provider: the generic one and every provider's own. */
export function externalUserIdFlags(): string[] {
  const own = Object.values(providerCatalog).flatMap((d) =>
    d.externalUserIdFlag ? [d.externalUserIdFlag] : [],
  );
  return ['external-user-id', ...new Set(own)];
}

export async function connectCommand({
  config,
  values,
  args,
}: {
  config: Config;
  values: Values;
  args: string[];
}) {
  const name = args[0];
  if (!name) {
    throw new InvalidInputError(
      `connect needs a provider: wearhouse connect <provider> --user alice … (providers: ${Object.keys(providerCatalog).join(', ')})`,
    );
  }
  const user = values.user;
  if (typeof user !== 'string' || user.trim() === '') throw new InvalidInputError('--user is required');
  const { provider, userId } = parseConnectionInput({ provider: name, userId: user.trim() });
  const module = moduleOf(provider);
  const descriptor = descriptorOf(provider);
  if (!module || !descriptor) throw new InvalidInputError(`unknown provider "${provider}"`);
  // Logins and checks are a request or two: a budget of this process's own is enough for them.
  const runtime = module.createRuntime(config, {
    budget: createLocalBudget(module.budgetFrom(config).perMinute),
    logger: createLogger({ level: config.LOG_LEVEL }),
  });
  const grant = await grantFrom(config, descriptor, runtime, values);
  const endpoints = await resolveEndpoints(config);
  const clients = await openClients(config, endpoints);
  try {
    const result = await connectUser(
      { sql: clients.sql, client: clients.client, cipher: cipherFor(config, endpoints), config },
      {
        provider,
        userId,
        grant,
        initialBackfillDays: values['no-backfill'] ? 0 : config.INITIAL_BACKFILL_DAYS,
      },
    );
    const stored = grant.type === 'oauth' ? 'tokens stored encrypted' : 'connection stored';
    const schedule = result.schedule
      ? `schedule sync:${provider}:${userId} ${result.schedule}`
      : 'a push source: nothing to schedule';
    say(`connected ${provider} for ${userId}: ${stored}, ${schedule}`);
    if (result.backfill) say(`initial backfill started: ${result.backfill.workflowId}`);
  } finally {
    await clients.close();
  }
}

async function grantFrom(
  config: Config,
  descriptor: ProviderDescriptor,
  runtime: ProviderRuntime,
  values: Values,
): Promise<ConnectionGrant> {
  if (descriptor.auth === 'none') return { type: 'none' };
  if (descriptor.auth === 'api_key') return externalUserGrant(descriptor, runtime, values);
  const given = tokensFromArgs(values);
  if (given) return given;
  return browserLogin(config, descriptor, runtime);
}

function tokensFromArgs(values: Values): ConnectionGrant | undefined {
  const accessToken = values['access-token'];
  const refreshToken = values['refresh-token'];
  const expiresIn = values['expires-in'] === undefined ? 3600 : Number(values['expires-in']);
  if (!Number.isInteger(expiresIn) || expiresIn < 0)
    throw new InvalidInputError('--expires-in must be whole seconds');
  if ((typeof accessToken === 'string') !== (typeof refreshToken === 'string')) {
    throw new InvalidInputError(
      'give both --access-token and --refresh-token, or neither for the browser login',
    );
  }
  if (typeof accessToken === 'string' && typeof refreshToken === 'string') {
    return { type: 'oauth', accessToken, refreshToken, expiresInSeconds: expiresIn };
  }
  return undefined;
}

async function browserLogin(
  config: Config,
  descriptor: ProviderDescriptor,
  runtime: ProviderRuntime,
): Promise<ConnectionGrant> {
  const { oauth } = runtime;
  if (!oauth || !descriptor.oauth)
    throw new InvalidInputError(`no browser login for provider "${descriptor.name}"`);
  if (!oauth.clientId || !oauth.clientSecret) {
    const prefix = descriptor.envPrefix;
    throw new InvalidInputError(`the browser login needs ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET`);
  }
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  const tokens = await runOAuthFlow({
    authUrl: oauth.authorizeUrl,
    clientId: oauth.clientId,
    redirectUrl: config.OAUTH_REDIRECT_URL,
    scope: descriptor.oauth.scopes,
    pkce: descriptor.oauth.pkce,
    exchange: (code, redirectUri, verifier) => oauth.exchangeCode(code, redirectUri, verifier, stats),
    open: (url) => {
      say(`Open this URL to log in to ${descriptor.displayName} and allow wearhouse:\n  ${url}`);
      say(`Waiting for the redirect to ${config.OAUTH_REDIRECT_URL} …`);
    },
  });
  return {
    type: 'oauth',
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresInSeconds: tokens.expiresIn,
  };
}

async function externalUserGrant(
  descriptor: ProviderDescriptor,
  runtime: ProviderRuntime,
  values: Values,
): Promise<ConnectionGrant> {
  const flags = [
    'external-user-id',
    ...(descriptor.externalUserIdFlag ? [descriptor.externalUserIdFlag] : []),
  ];
  const given = [
    ...new Set(
      flags.flatMap((flag) => (typeof values[flag] === 'string' ? [String(values[flag]).trim()] : [])),
    ),
  ];
  if (given.length === 0 || given[0] === '') {
    throw new InvalidInputError(
      `${descriptor.name} needs the user's id there: ${flags.map((f) => `--${f}`).join(' or ')}`,
    );
  }
  if (given.length > 1) throw new InvalidInputError(`${flags.map((f) => `--${f}`).join(' and ')} disagree`);
  const externalUserId = given[0] as string;
  if (!/^[!-~]{1,256}$/.test(externalUserId)) {
    throw new InvalidInputError(
      `--${flags[0]} must be one id of printable characters, no spaces (at most 256)`,
    );
  }
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  // Checked before anything is stored: a typo must not become a connection that fails every sync.
  await runtime.validateExternalUser?.(externalUserId, stats);
  return { type: 'api_key', externalUserId };
}
