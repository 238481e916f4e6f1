// Junction's configuration and runtime contract: its variables merged into the config with their
// defaults, bad values named (never echoed), the budget from JUNCTION_REQUESTS_PER_MINUTE, and a
// runtime that refuses credentials and kinds it does not take before any request.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/errors.ts';
import { provider } from '../providers/junction/index.ts';
import { createLocalBudget } from '../providers/rate-budget.ts';
import { ConfigError, loadConfig } from '../worker/config.ts';

const stats = () => ({ apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 });

describe('Junction configuration', () => {
  it('defaults to US production, 300 requests a minute, no key and no webhook secret', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      JUNCTION_API_URL: 'https://api.us.junction.com',
      JUNCTION_REQUESTS_PER_MINUTE: 300,
      JUNCTION_REQUEST_TIMEOUT_MS: 30_000,
    });
    expect(config.JUNCTION_API_KEY).toBeUndefined();
    expect(config.JUNCTION_WEBHOOK_SECRET).toBeUndefined();
    expect(provider.budgetFrom(config)).toEqual({ perMinute: 300 });
  });

  it('names a bad variable without echoing its value', () => {
    for (const [variable, value] of [
      ['JUNCTION_REQUESTS_PER_MINUTE', 'lots'],
      ['JUNCTION_API_URL', 'ftp://api.eu.junction.com'],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ [variable]: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as Error).message).not.toContain(value);
    }
  });
});

describe('Junction runtime', () => {
  const runtime = provider.createRuntime(
    loadConfig({ JUNCTION_API_URL: 'http://127.0.0.1:9', JUNCTION_API_KEY: 'k' }),
    {
      budget: createLocalBudget(60_000),
      logger: { debug() {}, info() {}, warn() {} },
    },
  );
  const request = {
    kind: 'sleep',
    start: new Date('2025-01-01T00:00:00Z'),
    end: new Date('2025-01-31T00:00:00Z'),
  };

  it('refuses OAuth credentials and unknown kinds as invalid input, before any request', async () => {
    const counters = stats();
    const fetchPage = runtime.fetchPage;
    if (!fetchPage) throw new Error('Junction pulls: fetchPage expected');
    const oauth = await fetchPage({ type: 'oauth', accessToken: 't' }, request, counters).catch(
      (e: unknown) => e,
    );
    expect(oauth).toBeInstanceOf(ProviderError);
    expect((oauth as ProviderError).errorClass).toBe('invalid_input');
    const unknown = await fetchPage(
      { type: 'api_key', externalUserId: '1449752e-0d8a-40e0-9206-91ab099b2537' },
      { ...request, kind: 'cycle' },
      counters,
    ).catch((e: unknown) => e);
    expect((unknown as ProviderError).errorClass).toBe('invalid_input');
    expect((unknown as Error).message).toMatch(/no kind 'cycle'/);
    expect(counters.apiCalls).toBe(0);
    expect(() => runtime.mapDocuments('cycle', [])).toThrow(/no kind 'cycle'/);
  });

  it('declares itself an api_key puller with webhooks and user validation', () => {
    expect(runtime.descriptor).toMatchObject({ name: 'junction', auth: 'api_key', mode: 'pull' });
    expect(runtime.descriptor.optInKinds).toEqual(['heartrate']);
    expect(typeof runtime.validateExternalUser).toBe('function');
    expect(runtime.webhooks).toBeDefined();
    expect(runtime.oauth).toBeUndefined();
  });
});
