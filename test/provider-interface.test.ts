// The provider interface's generic parts, on real Postgres: the catalog's helpers, the config and
// the registry built from every module, the `providers` table, credentials by auth kind, the
// content key, records' `source`, and push sources refused by backfill and sync.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialSource } from '../activities/credentials.ts';
import { createTokenManager } from '../activities/tokens.ts';
import { fetchableKinds, providerCatalog, windowDaysOf } from '../providers/catalog.ts';
import { contentKey } from '../providers/content-key.ts';
import { ProviderError } from '../providers/errors.ts';
import { providerModules } from '../providers/modules.ts';
import { createLocalBudget } from '../providers/rate-budget.ts';
import { createProviderRuntimes, providerBudgets } from '../providers/registry.ts';
import type { ProviderDescriptor, ProviderRuntime } from '../providers/types.ts';
import { getConnectionByExternalUser, saveConnection, setExternalUserId } from '../store/connections.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { upsertProviders } from '../store/providers.ts';
import { upsertRecords } from '../store/records.ts';
import { loadConfig } from '../worker/config.ts';
import { InvalidInputError, requirePullSource } from '../workflows/inputs.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

const silent = { debug() {}, info() {}, warn() {}, child: () => silent };
const stats = () => ({ apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 });

/** A provider that is not in the catalog: an API-key pull source, as a Junction-like provider is. */
const acme: ProviderDescriptor = {
  name: 'acme',
  displayName: 'Acme',
  auth: 'api_key',
  mode: 'pull',
  kinds: ['sleep', 'activity'],
  optInKinds: ['samples'],
  windowDays: 90,
  windowDaysByKind: { samples: 7 },
  rescoreLookbackDays: 3,
  envPrefix: 'ACME',
};
const acmeRuntime: ProviderRuntime = {
  descriptor: acme,
  mapDocuments: () => ({ records: [], quarantined: [] }),
};

describe('the catalog', () => {
  it('holds every module descriptor by name, and only those', () => {
    expect(Object.keys(providerCatalog).sort()).toEqual(providerModules.map((m) => m.descriptor.name).sort());
    for (const module of providerModules)
      expect(providerCatalog[module.descriptor.name]).toBe(module.descriptor);
  });

  it('puts opt-in kinds after the default ones, and windows per kind where the API caps them', () => {
    expect(fetchableKinds(acme)).toEqual(['sleep', 'activity', 'samples']);
    expect(windowDaysOf(acme, 'samples')).toBe(7);
    expect(windowDaysOf(acme, 'sleep')).toBe(90);
  });

  it('refuses to backfill or sync a push source, with a clear reason', () => {
    const push = { ...acme, name: 'uploads', mode: 'push' } as const;
    expect(() => requirePullSource(push, 'backfill')).toThrow(InvalidInputError);
    expect(() => requirePullSource(push, 'sync')).toThrow(/uploads is a push source: .* nothing to sync/);
    expect(() => requirePullSource(acme, 'backfill')).not.toThrow();
  });
});

describe('config and registry from every module', () => {
  it('the config holds every module variable, with its default', () => {
    const config = loadConfig({});
    for (const module of providerModules) {
      const shape: Record<string, { isOptional(): boolean }> = module.envSchema.shape;
      for (const [key, schema] of Object.entries(shape)) {
        expect(key.startsWith(`${module.descriptor.envPrefix}_`), key).toBe(true);
        // Every variable is in the merged schema: set ones parse, unset ones take their default.
        expect(Object.hasOwn(config, key) || schema.isOptional(), key).toBe(true);
      }
    }
  });

  it('builds one runtime per module, each with the budget its configuration grants', () => {
    const config = loadConfig({});
    const asked: [string, number][] = [];
    const runtimes = createProviderRuntimes(config, {
      logger: silent,
      budgetFor: (name, limits) => {
        asked.push([name, limits.perMinute]);
        return createLocalBudget(limits.perMinute);
      },
    });
    expect([...runtimes.keys()].sort()).toEqual(Object.keys(providerCatalog).sort());
    for (const [name, runtime] of runtimes) expect(runtime.descriptor).toBe(providerCatalog[name]);
    const budgets = providerBudgets(config);
    expect(asked.sort()).toEqual(budgets.map((b) => [b.name, b.requestsPerMinute]).sort());
    // Each budget follows its variable.
    const module = providerModules[0];
    const changed = loadConfig({ [`${module.descriptor.envPrefix}_REQUESTS_PER_MINUTE`]: '42' });
    expect(providerBudgets(changed).find((b) => b.name === module.descriptor.name)?.requestsPerMinute).toBe(
      42,
    );
  });
});

describe('contentKey', () => {
  it('is a stable 32-hex key that changes with any part', () => {
    const key = contentKey(['HKQuantityTypeIdentifierStepCount', '2024-01-01T00:00:00Z', 120, null]);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(contentKey(['HKQuantityTypeIdentifierStepCount', '2024-01-01T00:00:00Z', 120, null])).toBe(key);
    expect(contentKey(['HKQuantityTypeIdentifierStepCount', '2024-01-01T00:00:00Z', 121, null])).not.toBe(
      key,
    );
    // Parts are not concatenated: moving a boundary changes the key.
    expect(contentKey(['ab', 'c'])).not.toBe(contentKey(['a', 'bc']));
  });
});

describe('on Postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  it('the providers table is upserted, changed only when the configuration changes, and readable by Grafana', async () => {
    const rows = [{ name: 'acme', displayName: 'Acme', requestsPerMinute: 300, requestsPerDay: null }];
    await upsertProviders(db.sql, rows);
    const [first] = await db.sql`select * from providers where name = 'acme'`;
    await upsertProviders(db.sql, rows);
    const [same] = await db.sql`select * from providers where name = 'acme'`;
    expect(same?.updated_at).toEqual(first?.updated_at);
    await upsertProviders(db.sql, [{ ...rows[0], requestsPerMinute: 250, requestsPerDay: 9000 } as never]);
    const grafana = postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });
    try {
      const read =
        await grafana`select name, display_name, requests_per_minute, requests_per_day from providers`;
      expect(read).toEqual([
        { name: 'acme', display_name: 'Acme', requests_per_minute: 250, requests_per_day: 9000 },
      ]);
    } finally {
      await grafana.end();
    }
  });

  it('api_key credentials are the connection external user id; one provider user maps to one local user', async () => {
    const cipher = createTokenCipher(`t:${randomBytes(32).toString('base64')}`);
    const credentials = createCredentialSource({
      sql: db.sql,
      tokens: createTokenManager({ sql: db.sql, cipher }),
    });
    await saveConnection(db.sql, 'acme', 'ann', 'ext-123');
    expect(await credentials.forConnection(acmeRuntime, 'ann', stats())).toEqual({
      credentials: { type: 'api_key', externalUserId: 'ext-123' },
    });
    // A 401 with an API key is the app's key: nothing to refresh.
    const held = await credentials.forConnection(acmeRuntime, 'ann', stats());
    expect(await credentials.afterUnauthorized(acmeRuntime, 'ann', held, stats())).toBeUndefined();
    // Another local user cannot take the same provider user; webhooks find the one who has it.
    await expect(saveConnection(db.sql, 'acme', 'ben', 'ext-123')).rejects.toMatchObject({ code: '23505' });
    expect((await getConnectionByExternalUser(db.sql, 'acme', 'ext-123'))?.user_id).toBe('ann');
    expect(await getConnectionByExternalUser(db.sql, 'acme', 'ext-999')).toBeUndefined();
    // A connection without an id, or not active, is reauth_required.
    await saveConnection(db.sql, 'acme', 'cas', null);
    const missing = await credentials.forConnection(acmeRuntime, 'cas', stats()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProviderError);
    expect(missing).toMatchObject({ errorClass: 'reauth_required' });
    // Once its id is known, it pulls with it.
    await setExternalUserId(db.sql, 'acme', 'cas', 'ext-777');
    expect((await credentials.forConnection(acmeRuntime, 'cas', stats())).credentials).toEqual({
      type: 'api_key',
      externalUserId: 'ext-777',
    });
    await db.sql`update connections set status = 'disconnected' where provider = 'acme' and user_id = 'ann'`;
    await expect(credentials.forConnection(acmeRuntime, 'ann', stats())).rejects.toMatchObject({
      errorClass: 'reauth_required',
    });
    await expect(credentials.forConnection(acmeRuntime, 'nobody', stats())).rejects.toMatchObject({
      errorClass: 'invalid_input',
    });
  });

  it('records keep their source, and a changed source is an update', async () => {
    const record = {
      kind: 'sleep',
      sourceId: 's1',
      startAt: new Date('2024-01-01T22:00:00Z'),
      endAt: new Date('2024-01-02T06:00:00Z'),
      tzOffset: 'Z',
      localDay: '2024-01-01',
      providerUpdatedAt: null,
      payload: { score: 80 },
      source: 'ring',
    };
    expect(await upsertRecords(db.sql, 'acme', 'dee', [record])).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 0,
    });
    expect(await upsertRecords(db.sql, 'acme', 'dee', [record])).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 1,
    });
    expect(await upsertRecords(db.sql, 'acme', 'dee', [{ ...record, source: 'watch' }])).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 0,
    });
    const [row] = await db.sql`select source from records where provider = 'acme' and user_id = 'dee'`;
    expect(row?.source).toBe('watch');
  });
});
