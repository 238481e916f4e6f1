// The dashboards as code, and their canonical JSON: keys sorted at every level and a trailing
// newline, so that regenerating unchanged sources gives byte-identical files.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { appleHealthDashboard } from './apple-health.ts';
import { compareDashboard } from './compare.ts';
import { overviewDashboard } from './overview.ts';
import { pipelineDashboard } from './pipeline.ts';
import { recoveryDashboard } from './recovery.ts';
import { sleepDashboard } from './sleep.ts';
import { strainDashboard } from './strain.ts';
import { workerDashboard } from './worker.ts';

/** File name (in grafana/dashboards/) → dashboard. */
export const DASHBOARDS: Record<string, () => Dashboard> = {
  'overview.json': overviewDashboard,
  'compare.json': compareDashboard,
  'sleep.json': sleepDashboard,
  'recovery.json': recoveryDashboard,
  'strain.json': strainDashboard,
  'pipeline.json': pipelineDashboard,
  'worker.json': workerDashboard,
  'apple-health.json': appleHealthDashboard,
};

export function renderDashboards(): Map<string, string> {
  return new Map(Object.entries(DASHBOARDS).map(([file, build]) => [file, toJson(build())]));
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    // Builder marker methods (_implementsDataqueryVariant) and unset options are not part of the model.
    .filter(([, v]) => typeof v !== 'function' && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}
