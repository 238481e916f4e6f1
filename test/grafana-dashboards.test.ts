// The generated dashboards: the committed JSON (what Grafana provisions) is what `npm run dashboards`
// writes, valid against the schema derived from the Grafana Foundation SDK's types, and every panel
// follows the project's conventions.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectDashboardTargets } from '../grafana/macros.ts';
import { DATASOURCE_UID, USERS } from '../grafana/src/common.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { loadSdkSchemas, PANEL_MODULES, type SdkSchemas } from '../grafana/src/sdk-schema.ts';

const dashboardsDir = new URL('../grafana/dashboards/', import.meta.url);
const rendered = renderDashboards();
// The checks below read the committed files: they are what Grafana loads.
const committedFiles = (await readdir(dashboardsDir)).filter((f) => f.endsWith('.json')).sort();
const models = await Promise.all(
  committedFiles.map(async (file) => ({
    file,
    model: JSON.parse(await readFile(new URL(file, dashboardsDir), 'utf8')),
  })),
);

interface JsonPanel {
  type: string;
  title?: string;
  description?: string;
  panels?: JsonPanel[];
  options?: unknown;
  fieldConfig?: { defaults: { unit?: string; thresholds?: { steps: unknown[] }; custom?: unknown } };
}

function panelsOf(model: { panels?: JsonPanel[] }): JsonPanel[] {
  return (model.panels ?? []).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

describe('committed dashboards', () => {
  it('equal freshly generated JSON (run `npm run dashboards` after changing grafana/src)', async () => {
    const committed = (await readdir(dashboardsDir)).filter((f) => f.endsWith('.json')).sort();
    expect(committed).toEqual([...rendered.keys()].sort());
    for (const [file, json] of rendered) {
      expect(await readFile(new URL(file, dashboardsDir), 'utf8'), file).toBe(json);
    }
  });

  it('are exactly what `npm run dashboards` writes, which also removes dashboards that no longer exist', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'wearhouse-dashboards-'));
    try {
      await writeFile(join(scratch, 'retired.json'), '{}\n');
      const generator = fileURLToPath(new URL('../grafana/generate.ts', import.meta.url));
      await promisify(execFile)(process.execPath, ['--import', 'tsx', generator, scratch]);
      const written = (await readdir(scratch)).sort();
      expect(written).toEqual(committedFiles);
      for (const file of written) {
        const json = await readFile(join(scratch, file), 'utf8');
        expect(json.endsWith('}\n'), file).toBe(true);
        expect(json, file).toBe(await readFile(new URL(file, dashboardsDir), 'utf8'));
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('schema from the SDK types', () => {
  let sdk: SdkSchemas;
  let ajv: Ajv;
  const validator = (module: string, type: string) =>
    ajv.compile({ ...sdk.ref(module, type), definitions: sdk.definitions });

  beforeAll(() => {
    sdk = loadSdkSchemas();
    ajv = new Ajv({ allErrors: true, strict: false });
  });

  it('accepts every dashboard, and every panel plugin accepts its options and field config', () => {
    const dashboard = validator('dashboard', 'Dashboard');
    for (const { file, model } of models) {
      expect(dashboard(model) ? [] : dashboard.errors, file).toEqual([]);
      for (const panel of panelsOf(model)) {
        expect((PANEL_MODULES as readonly string[]).includes(panel.type), panel.type).toBe(true);
        const options = validator(panel.type, 'Options');
        expect(options(panel.options) ? [] : options.errors, `${file} ${panel.title} options`).toEqual([]);
        const custom = panel.fieldConfig?.defaults.custom;
        if (custom !== undefined && sdk.definitions[`${panel.type}.FieldConfig`]) {
          const fieldConfig = validator(panel.type, 'FieldConfig');
          expect(fieldConfig(custom) ? [] : fieldConfig.errors, `${file} ${panel.title} custom`).toEqual([]);
        }
      }
    }
  });

  it('rejects what the model does not allow (so the check above means something)', () => {
    const dashboard = validator('dashboard', 'Dashboard');
    const model = structuredClone(models[0]?.model);
    expect(dashboard(model)).toBe(true);
    model.panels[1].gridPos.h = 'tall';
    expect(dashboard(model)).toBe(false);
    const unknownKey = { ...structuredClone(models[0]?.model), refreshEvery: '1m' };
    expect(dashboard(unknownKey)).toBe(false);
    const badEnum = structuredClone(models[0]?.model);
    badEnum.templating.list[0].type = 'sql';
    expect(dashboard(badEnum)).toBe(false);
    const stat = validator('stat', 'Options');
    expect(
      stat({
        ...(panelsOf(models[0]?.model).find((p) => p.type === 'stat')?.options as object),
        graphMode: 'bars',
      }),
    ).toBe(false);
  });
});

describe('conventions', () => {
  it('eight dashboards with unique uids, in the wearhouse tag, those on Postgres with the $user variable', () => {
    expect(models.map((m) => m.model.uid).sort()).toEqual([
      'wearhouse-apple-health',
      'wearhouse-compare',
      'wearhouse-overview',
      'wearhouse-pipeline',
      'wearhouse-recovery',
      'wearhouse-sleep',
      'wearhouse-strain',
      'wearhouse-worker',
    ]);
    for (const { file, model } of models) {
      expect(model.tags, file).toContain('wearhouse');
      // The worker dashboard reads Prometheus, whose metrics carry no user (and Postgres for budgets only).
      if (!collectDashboardTargets(model).some((t) => t.rawSql.includes(USERS))) continue;
      const user = model.templating.list.find((v: { name: string }) => v.name === 'user');
      expect(user, file).toMatchObject({
        type: 'query',
        multi: true,
        includeAll: true,
        datasource: { uid: DATASOURCE_UID },
      });
    }
  });

  it('every panel has a title, a description, a unit and thresholds', () => {
    for (const { file, model } of models) {
      for (const panel of panelsOf(model)) {
        const where = `${file}: ${panel.title}`;
        expect(panel.title, where).toBeTruthy();
        expect(panel.description?.length ?? 0, where).toBeGreaterThan(10);
        expect(panel.fieldConfig?.defaults.unit, where).toBeTruthy();
        expect(panel.fieldConfig?.defaults.thresholds?.steps.length ?? 0, where).toBeGreaterThan(0);
      }
    }
  });

  it('every target is raw SQL on the provisioned datasource, filtered by $user with sqlstring', () => {
    for (const { model } of models) {
      for (const t of collectDashboardTargets(model)) {
        const where = `${t.dashboard}: ${t.panelTitle} ${t.refId}`;
        expect(t.datasourceUid, where).toBe(DATASOURCE_UID);
        expect(['time_series', 'table'], where).toContain(t.format);
        // provider_requests and providers are per app: the request budget has no user to filter on.
        if (!/\b(from|join) (provider_requests|provider_requests_hourly|providers)\b/.test(t.rawSql)) {
          expect(t.rawSql, where).toContain(USERS);
        }
        // The time picker must drive every time series.
        if (t.format === 'time_series') expect(t.rawSql, where).toMatch(/\$__timeFilter\(/);
        // Macro arguments end at the first ')': a call inside one would be cut (macros.go sExpr).
        for (const [, args] of t.rawSql.matchAll(/\$__\w+\(([^)]*)\)/g))
          expect(args, where).not.toContain('(');
      }
    }
  });
});
