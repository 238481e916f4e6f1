// docker-compose.yml, the Dockerfile, .env.example and Grafana's provisioning agree with each other
// and with the repository: services, healthchecks, start order, volumes, mounts and the datasource
// uid every dashboard and alert uses. (Starting the stack needs Docker; this checks its wiring.)
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectDashboardTargets } from '../grafana/macros.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { envSchema } from '../worker/config.ts';

const repo = new URL('../', import.meta.url);
const text = (path: string) => readFile(new URL(path, repo), 'utf8');
const yamlFile = async (path: string) => parse(await text(path));

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = (await yamlFile('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const service = (name: string) => compose.services[name] as Service;
const mounts = (name: string) =>
  (service(name).volumes ?? []).map((v) => {
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });

describe('docker-compose.yml', () => {
  it('has the four long-running services, each with a healthcheck', () => {
    for (const name of ['postgres', 'temporal', 'grafana', 'worker']) {
      expect(compose.services, name).toHaveProperty(name);
      expect(service(name).healthcheck?.test.length ?? 0, name).toBeGreaterThan(1);
    }
    expect(service('postgres').image).toBe('postgres:17');
    expect(service('postgres').healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(service('grafana').image).toMatch(/^grafana\/grafana-oss:/);
    expect(service('grafana').healthcheck?.test.join(' ')).toContain('/api/health');
  });

  it('starts services in order: databases healthy, migrations done', () => {
    expect(service('grafana').depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
    expect(service('worker').depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      temporal: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
    expect(service('migrate').depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
    expect(service('migrate').command).toEqual(['migrate']);
  });

  it('declares every named volume it uses and uses every one it declares', () => {
    const used = new Set<string>();
    for (const name of Object.keys(compose.services)) {
      for (const { source } of mounts(name)) {
        if (source.startsWith('.') || source.startsWith('/')) continue;
        expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
        used.add(source);
      }
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
    expect(mounts('postgres')).toContainEqual({
      source: 'postgres-data',
      target: '/var/lib/postgresql/data',
    });
    expect(mounts('temporal')).toContainEqual({ source: 'temporal-data', target: '/data' });
    expect(mounts('grafana')).toContainEqual({ source: 'grafana-data', target: '/var/lib/grafana' });
  });

  it('mounts Grafana provisioning and dashboards from paths that exist in the repository', async () => {
    const grafana = mounts('grafana');
    expect(grafana).toContainEqual({ source: './grafana/provisioning', target: '/etc/grafana/provisioning' });
    expect(grafana).toContainEqual({ source: './grafana/dashboards', target: '/var/lib/grafana/dashboards' });
    for (const { source } of grafana.filter((m) => m.source.startsWith('.'))) {
      expect(existsSync(new URL(source, repo)), source).toBe(true);
    }
    for (const dir of ['datasources', 'dashboards', 'alerting']) {
      expect(existsSync(new URL(`grafana/provisioning/${dir}/wearhouse.yml`, repo)), dir).toBe(true);
    }
    // The dashboard provider reads the directory the dashboards are mounted at.
    const providers = (await yamlFile('grafana/provisioning/dashboards/wearhouse.yml')).providers;
    expect(providers[0]).toMatchObject({
      type: 'file',
      folder: 'wearhouse',
      options: { path: '/var/lib/grafana/dashboards' },
    });
  });

  it('runs Temporal as the dev server with the search attributes the workflows set', () => {
    const command = (service('temporal').command ?? []).join(' ');
    expect(command).toContain('server start-dev --ip 0.0.0.0 --db-filename /data/temporal.db --ui-port 8233');
    expect(command).toContain('--search-attribute WearhouseUser=Keyword');
    expect(command).toContain('--search-attribute WearhouseProvider=Keyword');
  });

  it('builds the worker from the Dockerfile and gives it the services and secrets', async () => {
    const worker = service('worker');
    expect(worker.build).toBe('.');
    expect(worker.command).toEqual(['worker']);
    expect(worker.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(worker.environment?.DATABASE_URL).toMatch(/@postgres:5432\/wearhouse$/);
    expect(worker.environment?.TOKEN_ENCRYPTION_KEY).toMatch(/^\$\{TOKEN_ENCRYPTION_KEY:\?/);
    const dockerfile = await text('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "bin/wearhouse.mjs"]');
    expect(existsSync(new URL('bin/wearhouse.mjs', repo))).toBe(true);
  });
});

describe('.env.example', () => {
  it('lists every configuration variable and every variable docker-compose.yml reads', async () => {
    const listed = new Set(
      [...(await text('.env.example')).matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
    );
    const required = [
      ...Object.keys(envSchema.shape),
      'GRAFANA_DB_PASSWORD',
      'POSTGRES_PASSWORD',
      ...[...(await text('docker-compose.yml')).matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map(
        (m) => m[1] as string,
      ),
    ];
    for (const name of required) expect(listed.has(name), name).toBe(true);
  });
});

describe('Grafana provisioning', () => {
  it('names one datasource uid, used by every dashboard target, variable and alert query', async () => {
    const { datasources } = await yamlFile('grafana/provisioning/datasources/wearhouse.yml');
    expect(datasources).toHaveLength(1);
    const ds = datasources[0];
    expect(ds).toMatchObject({
      uid: 'wearhouse-postgres',
      type: 'grafana-postgresql-datasource',
      url: 'postgres:5432',
      user: 'wearhouse_grafana',
      jsonData: { database: 'wearhouse', sslmode: 'disable', timescaledb: false },
      secureJsonData: { password: '$GRAFANA_DB_PASSWORD' },
    });
    expect(ds.jsonData.postgresVersion).toBeGreaterThanOrEqual(1200);
    // The password variable reaches the Grafana container, and the database is the one compose creates.
    expect(service('grafana').environment).toHaveProperty('GRAFANA_DB_PASSWORD');
    expect(service('postgres').environment?.POSTGRES_DB).toBe(ds.jsonData.database);

    for (const json of renderDashboards().values()) {
      const model = JSON.parse(json);
      for (const target of collectDashboardTargets(model))
        expect(target.datasourceUid, target.panelTitle).toBe(ds.uid);
      for (const variable of model.templating.list)
        expect(variable.datasource?.uid, variable.name).toBe(ds.uid);
    }
    const alerting = await yamlFile('grafana/provisioning/alerting/wearhouse.yml');
    for (const rule of alerting.groups.flatMap((g: { rules: unknown[] }) => g.rules)) {
      const uids = rule.data.map((d: { datasourceUid: string }) => d.datasourceUid);
      expect(uids, rule.uid).toContain(ds.uid);
      expect(
        uids.filter((u: string) => u !== ds.uid && u !== '__expr__'),
        rule.uid,
      ).toEqual([]);
      expect(
        rule.data.map((d: { refId: string }) => d.refId),
        rule.uid,
      ).toContain(rule.condition);
    }
  });
});
