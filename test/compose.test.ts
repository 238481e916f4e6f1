// docker-compose.yml, the Dockerfile, .env.example, Prometheus' config and Grafana's provisioning
// agree with each other and with the repository: services, healthchecks, start order, volumes,
// mounts, the scrape target and the datasource uids every dashboard and alert uses. (Starting the
// stack needs Docker; this checks its wiring.)
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectDashboardTargets } from '../grafana/macros.ts';
import { DATASOURCE_UID } from '../grafana/src/common.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { PROMETHEUS_UID } from '../grafana/src/worker.ts';
import { envSchema, loadConfig } from '../worker/config.ts';
import { BULK_LOAD_SETTINGS } from '../worker/stack/postgres.ts';

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
  it('has the five long-running services, each with a healthcheck', () => {
    for (const name of ['postgres', 'temporal', 'grafana', 'prometheus', 'worker']) {
      expect(compose.services, name).toHaveProperty(name);
      expect(service(name).healthcheck?.test.length ?? 0, name).toBeGreaterThan(1);
    }
    expect(service('postgres').image).toBe('postgres:17');
    expect(service('postgres').healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(service('grafana').image).toMatch(/^grafana\/grafana-oss:/);
    expect(service('grafana').healthcheck?.test.join(' ')).toContain('/api/health');
    expect(service('prometheus').image).toMatch(/^prom\/prometheus:v\d/);
    expect(service('prometheus').healthcheck?.test.join(' ')).toContain('/-/ready');
  });

  it('starts services in order: databases healthy, migrations done', () => {
    expect(service('grafana').depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
      prometheus: { condition: 'service_healthy' },
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
    expect(mounts('prometheus')).toContainEqual({ source: 'prometheus-data', target: '/prometheus' });
  });

  it('runs Prometheus on a config from the repository that scrapes every worker on its metrics port', async () => {
    const config = '/etc/prometheus/prometheus.yml';
    expect(mounts('prometheus')).toContainEqual({ source: './prometheus/prometheus.yml', target: config });
    expect(service('prometheus').command).toContain(`--config.file=${config}`);
    expect(service('prometheus').command).toContain('--storage.tsdb.path=/prometheus');
    const { scrape_configs: jobs } = await yamlFile('prometheus/prometheus.yml');
    const job = jobs.find((j: { job_name: string }) => j.job_name === 'wearhouse-worker');
    // One target per replica of the worker service, on the port the worker serves /metrics on.
    const port = loadConfig({}).METRICS_PORT;
    expect(job.dns_sd_configs).toEqual([expect.objectContaining({ names: ['worker'], type: 'A', port })]);
    expect(service('worker').environment?.METRICS_PORT).toBe(`\${METRICS_PORT:-${port}}`);
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

  it("runs Postgres with the embedded cluster's bulk-load settings (docs/operating.md)", () => {
    const command = service('postgres').command ?? [];
    expect(command[0]).toBe('postgres');
    const settings = Object.fromEntries(
      command.flatMap((arg, i) => (command[i - 1] === '-c' ? [arg.split('=', 2)] : [])),
    );
    expect(Object.keys(BULK_LOAD_SETTINGS)).toContain('shared_buffers');
    expect(settings).toEqual(BULK_LOAD_SETTINGS);
  });

  it('runs Temporal as the dev server with the search attributes the workflows set', () => {
    const command = (service('temporal').command ?? []).join(' ');
    expect(command).toContain('server start-dev --ip 0.0.0.0 --db-filename /data/temporal.db --ui-port 8233');
    expect(command).toContain('--search-attribute WearhouseUser=Keyword');
    expect(command).toContain('--search-attribute WearhouseProvider=Keyword');
  });

  it('runs serve beside the worker: same services and secrets, /health as its healthcheck, scraped', async () => {
    const serve = service('serve');
    expect(serve.build).toBe('.');
    expect(serve.command).toEqual(['serve']);
    expect(serve.environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      DATABASE_URL: service('worker').environment?.DATABASE_URL,
      TOKEN_ENCRYPTION_KEY: service('worker').environment?.TOKEN_ENCRYPTION_KEY,
      WEARHOUSE_HTTP_PORT: '8787',
    });
    expect(serve.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8787/health');
    expect(serve.depends_on).toEqual(service('worker').depends_on);
    expect((serve as { ports?: string[] }).ports).toEqual([`127.0.0.1:\${WEARHOUSE_HTTP_PORT:-8787}:8787`]);
    const { scrape_configs: jobs } = await yamlFile('prometheus/prometheus.yml');
    const job = jobs.find((j: { job_name: string }) => j.job_name === 'wearhouse-serve');
    expect(job.dns_sd_configs).toEqual([expect.objectContaining({ names: ['serve'], port: 8787 })]);
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
  it('names the Postgres and the Prometheus datasource by the uids the dashboards use', async () => {
    const { datasources } = await yamlFile('grafana/provisioning/datasources/wearhouse.yml');
    expect(datasources.map((d: { uid: string }) => d.uid)).toEqual([DATASOURCE_UID, PROMETHEUS_UID]);
    const [pg, prom] = datasources;
    expect(pg).toMatchObject({
      uid: 'wearhouse-postgres',
      type: 'grafana-postgresql-datasource',
      url: 'postgres:5432',
      user: 'wearhouse_grafana',
      isDefault: true,
      jsonData: { database: 'wearhouse', sslmode: 'disable', timescaledb: false },
      secureJsonData: { password: '$GRAFANA_DB_PASSWORD' },
    });
    expect(pg.jsonData.postgresVersion).toBeGreaterThanOrEqual(1200);
    // The password variable reaches the Grafana container, and the database is the one compose creates.
    expect(service('grafana').environment).toHaveProperty('GRAFANA_DB_PASSWORD');
    expect(service('postgres').environment?.POSTGRES_DB).toBe(pg.jsonData.database);
    // Prometheus at its compose service name and port, queried no finer than it scrapes.
    const { global } = await yamlFile('prometheus/prometheus.yml');
    expect(prom).toMatchObject({
      uid: 'wearhouse-prometheus',
      type: 'prometheus',
      url: 'http://prometheus:9090',
    });
    expect(prom.isDefault).toBe(false);
    expect(prom.jsonData.timeInterval).toBe(global.scrape_interval);
    expect(service('prometheus').healthcheck?.test.join(' ')).toContain('127.0.0.1:9090');
  });

  it('every dashboard target, variable and alert query uses the datasource its query language needs', async () => {
    let sql = 0;
    let promql = 0;
    for (const json of renderDashboards().values()) {
      const model = JSON.parse(json);
      for (const target of collectDashboardTargets(model)) {
        expect(target.datasourceUid, target.panelTitle).toBe(DATASOURCE_UID);
        sql++;
      }
      for (const target of prometheusTargets(model)) {
        expect(target.datasource?.uid, target.expr).toBe(PROMETHEUS_UID);
        promql++;
      }
      for (const variable of model.templating?.list ?? [])
        expect(variable.datasource?.uid, variable.name).toBe(DATASOURCE_UID);
    }
    expect(sql).toBeGreaterThan(40);
    expect(promql).toBeGreaterThan(10);

    const alerting = await yamlFile('grafana/provisioning/alerting/wearhouse.yml');
    const uids = new Set<string>();
    for (const rule of alerting.groups.flatMap((g: { rules: unknown[] }) => g.rules)) {
      const queries = rule.data.filter((d: { datasourceUid: string }) => d.datasourceUid !== '__expr__');
      expect(queries.length, rule.uid).toBeGreaterThan(0);
      for (const query of queries) {
        uids.add(query.datasourceUid);
        if (query.datasourceUid === DATASOURCE_UID)
          expect(typeof query.model.rawSql, rule.uid).toBe('string');
        else if (query.datasourceUid === PROMETHEUS_UID)
          expect(typeof query.model.expr, rule.uid).toBe('string');
        else expect.fail(`${rule.uid} queries an unknown datasource ${query.datasourceUid}`);
      }
      expect(
        rule.data.map((d: { refId: string }) => d.refId),
        rule.uid,
      ).toContain(rule.condition);
    }
    expect([...uids].sort()).toEqual([DATASOURCE_UID, PROMETHEUS_UID].sort());
  });
});

interface PromTarget {
  expr: string;
  datasource?: { uid?: string };
}

/** Every target with a PromQL expression, in rows too. */
function prometheusTargets(model: {
  panels?: { panels?: unknown[]; targets?: PromTarget[] }[];
}): PromTarget[] {
  return (model.panels ?? []).flatMap((panel) => [
    ...(panel.targets ?? []).filter((t) => typeof t.expr === 'string'),
    ...prometheusTargets({ panels: (panel.panels ?? []) as never }),
  ]);
}
