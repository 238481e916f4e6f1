// The generated dashboards: committed JSON is fresh, valid against the schema derived from the
// Grafana Foundation SDK's types, and every panel follows the project's conventions.
import { readdir, readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectDashboardTargets } from '../grafana/macros.ts';
import { DATASOURCE_UID, USERS } from '../grafana/src/common.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { loadSdkSchemas, PANEL_MODULES, type SdkSchemas } from '../grafana/src/sdk-schema.ts';

const dashboardsDir = new URL('../grafana/dashboards/', import.meta.url);
const rendered = renderDashboards();
const models = [...rendered].map(([file, json]) => ({ file, model: JSON.parse(json) }));

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

  it('render identically twice (stable key order, trailing newline)', () => {
    const again = renderDashboards();
    for (const [file, json] of rendered) {
      expect(again.get(file)).toBe(json);
      expect(json.endsWith('}\n')).toBe(true);
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
  it('seven dashboards with unique uids, in the wearhouse tag, those on Postgres with the $user variable', () => {
    expect(models.map((m) => m.model.uid).sort()).toEqual([
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
      // The worker dashboard reads Prometheus, whose metrics carry no user.
      if (collectDashboardTargets(model).length === 0) continue;
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
        // provider_requests is per app: the request budget has no user to filter on.
        if (!/\bfrom provider_requests\b/.test(t.rawSql)) {
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
