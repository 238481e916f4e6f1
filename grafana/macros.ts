// Grafana's expansion of a Postgres panel's rawSql, reproduced so tests can run every panel's SQL
// exactly as Grafana would send it to the database. Three stages, in Grafana's order:
//
// 1. Template variables, in the browser (public/app/features/templating/template_srv.ts with
//    @grafana/scenes' formatRegistry.ts, and the SQL datasource's interpolateVariable in
//    packages/grafana-sql/src/datasource/SqlDatasource.ts).
// 2. Global SQL substitutions, in the backend: `Interpolate` in
//    pkg/tsdb/grafana-postgresql-datasource/sqleng/sql_engine.go.
// 3. Postgres macros, in the backend: `evaluateMacro` in
//    pkg/tsdb/grafana-postgresql-datasource/macros.go (timescaledb off, as provisioned).
//
// Each expansion below names its source. Fill modes ($__timeGroup's third argument) are validated
// as Grafana does but not applied: they resample the result frame after the query, not the SQL.
import { goFloat, type IntervalClock, parseGrafanaInterval, rfc3339Nano } from './src/go-format.ts';

export interface ExpandOptions {
  from: Date;
  to: Date;
  /** The panel's interval ($__interval), as Grafana computes it from the range and panel width. */
  intervalMs: number;
  /**
   * Dashboard variables and their selected values. Every variable of these dashboards is multi-value
   * with "All", so a selection is always a list ("All" is the list of every option, as Grafana sends
   * it when the variable has no custom all value).
   */
  variables: Record<string, string[]>;
  /** For '1M'/'1y' group intervals, which Grafana measures from the wall clock. */
  clock?: IntervalClock;
}

export class MacroError extends Error {
  override name = 'MacroError';
}

export function expandPanelSql(rawSql: string, options: ExpandOptions): string {
  const withVariables = interpolateVariables(rawSql, options);
  const global = interpolateGlobal(withVariables, options);
  return interpolateMacros(global, options);
}

// --- 1. template variables ---------------------------------------------------------------------

// template_srv.ts `variableRegex`: $var, [[var]], [[var:fmt]], ${var}, ${var.path}, ${var:fmt}.
const VARIABLE_REGEX = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

function interpolateVariables(sql: string, options: ExpandOptions): string {
  return sql.replace(VARIABLE_REGEX, (match, plain, legacy, legacyFormat, braced, fieldPath, format) => {
    const name: string = plain ?? legacy ?? braced;
    const builtIn = builtInVariable(name, options);
    if (builtIn !== undefined) {
      if (legacyFormat ?? format)
        throw new MacroError(`${match}: formats of built-in variables are not supported`);
      return builtIn;
    }
    const values = options.variables[name];
    // Unknown names (including $__timeFilter and the other backend macros) are left as written.
    if (values === undefined) return match;
    if (fieldPath !== undefined)
      throw new MacroError(`\${${name}.${fieldPath}}: field paths are not supported`);
    return formatValues(values, (legacyFormat ?? format) as string | undefined, name);
  });
}

/** Scoped variables the frontend query runner (PanelQueryRunner / scenes SceneQueryRunner) sets for every query. */
function builtInVariable(name: string, options: ExpandOptions): string | undefined {
  switch (name) {
    case '__interval':
      return formatInterval(options.intervalMs);
    case '__interval_ms':
      return String(Math.trunc(options.intervalMs));
    case '__from':
      return String(options.from.getTime());
    case '__to':
      return String(options.to.getTime());
    default:
      return undefined;
  }
}

function formatValues(values: string[], format: string | undefined, name: string): string {
  switch (format) {
    case undefined:
      // SqlDatasource.interpolateVariable: a multi-value (or include-All) variable quotes each value
      // with the datasource's quoteLiteral ('…', single quotes doubled) and joins them with commas.
      return values.map((v) => `'${v.replaceAll("'", "''")}'`).join(',');
    case 'sqlstring':
      // formatRegistry.ts sqlStringFormatter: ' doubled, " backslash-escaped (a MySQL-ism Grafana
      // applies to every SQL datasource), each value quoted, joined with commas.
      return values.map((v) => `'${v.replace(/'|"/g, (c) => (c === "'" ? "''" : '\\"'))}'`).join(',');
    case 'raw':
      return values.join(',');
    case 'csv':
      return values.join(',');
    case 'singlequote':
      return values.map((v) => `'${v.replaceAll("'", "\\'")}'`).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replaceAll('"', '\\"')}"`).join(',');
    default:
      // A format this harness does not implement must fail the panel, not pass it unexpanded.
      throw new MacroError(`\${${name}:${format}}: unsupported variable format`);
  }
}

// --- 2. global substitutions (sqleng.Interpolate) ----------------------------------------------

function interpolateGlobal(sql: string, options: ExpandOptions): string {
  return sql
    .replaceAll('$__interval_ms', String(Math.trunc(options.intervalMs)))
    .replaceAll('$__interval', formatInterval(options.intervalMs))
    .replaceAll('$__unixEpochFrom()', String(unixSeconds(options.from)))
    .replaceAll('$__unixEpochTo()', String(unixSeconds(options.to)));
}

// --- 3. Postgres macros (macros.go) ------------------------------------------------------------

// macros.go `sExpr`: a macro's arguments end at the first ')', so they cannot contain calls.
const MACRO_REGEX = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;

function interpolateMacros(sql: string, options: ExpandOptions): string {
  return sql.replace(MACRO_REGEX, (match: string, macro: string, rawArgs: string) => {
    let name = macro;
    // Pre-5.3 compatibility: `$__timeGroup(...)` directly followed by ',' (checked at the first
    // occurrence of the same text, as Grafana does) means `$__timeGroupAlias`.
    if (name === '__timeGroup') {
      const at = sql.indexOf(match);
      if (at >= 0 && sql[at + match.length] === ',') name = '__timeGroupAlias';
    }
    // Go's strings.Trim(arg, " "): spaces only, not tabs or newlines.
    const args = rawArgs.split(',').map((arg) => arg.replace(/^ +| +$/g, ''));
    return evaluateMacro(name, args, options);
  });
}

function evaluateMacro(name: string, args: string[], options: ExpandOptions): string {
  const column = () => {
    if (!args[0]) throw new MacroError(`missing time column argument for macro ${name}`);
    return args[0];
  };
  const { from, to } = options;
  switch (name) {
    case '__time':
      return `${column()} AS "time"`;
    case '__timeEpoch':
      return `extract(epoch from ${column()}) as "time"`;
    case '__timeFilter':
      return `${column()} BETWEEN '${rfc3339Nano(from)}' AND '${rfc3339Nano(to)}'`;
    case '__timeFrom':
      return `'${rfc3339Nano(from)}'`;
    case '__timeTo':
      return `'${rfc3339Nano(to)}'`;
    case '__timeGroup': {
      const seconds = groupSeconds(name, args, options);
      return `floor(extract(epoch from ${args[0]})/${goFloat(seconds)})*${goFloat(seconds)}`;
    }
    case '__timeGroupAlias':
      return `${evaluateMacro('__timeGroup', args, options)} AS "time"`;
    case '__unixEpochFilter':
      return `${column()} >= ${unixSeconds(from)} AND ${column()} <= ${unixSeconds(to)}`;
    case '__unixEpochNanoFilter':
      return `${column()} >= ${unixNanos(from)} AND ${column()} <= ${unixNanos(to)}`;
    case '__unixEpochNanoFrom':
      return unixNanos(from);
    case '__unixEpochNanoTo':
      return unixNanos(to);
    case '__unixEpochGroup': {
      const seconds = groupSeconds(name, args, options);
      return `floor((${args[0]})/${goFloat(seconds)})*${goFloat(seconds)}`;
    }
    case '__unixEpochGroupAlias':
      return `${evaluateMacro('__unixEpochGroup', args, options)} AS "time"`;
    default:
      throw new MacroError(`unknown macro "${name}"`);
  }
}

/** The group interval in seconds; the optional fill argument is checked like sqleng.SetupFillmode. */
function groupSeconds(name: string, args: string[], options: ExpandOptions): number {
  if (args.length < 2)
    throw new MacroError(`macro ${name} needs time column and interval and optional fill value`);
  const interval = args[1] as string;
  let ms: number;
  try {
    ms = parseGrafanaInterval(interval.replace(/^'+|'+$/g, ''), options.clock);
  } catch {
    throw new MacroError(`error parsing interval ${interval}`);
  }
  const fill = args[2];
  if (
    args.length === 3 &&
    fill !== 'NULL' &&
    fill !== 'previous' &&
    !Number.isFinite(Number.parseFloat(fill ?? ''))
  ) {
    throw new MacroError(`error parsing fill value ${fill}`);
  }
  return ms / 1000;
}

/** gtime.FormatInterval: the largest whole unit (y, d, h, m, s, ms), as $__interval is written. */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [365 * 86_400_000, 'y'],
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
    [1, 'ms'],
  ];
  for (const [size, unit] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return '1ms';
}

/**
 * The interval Grafana gives a panel: range / max data points, rounded down to a "nice" step
 * (gtime.RoundInterval; the frontend's rangeutil.roundInterval uses the same table).
 */
export function panelIntervalMs(
  from: Date,
  to: Date,
  maxDataPoints = 1000,
  /** The panel's own minimum ("Min interval", `interval` in its JSON, e.g. '1h'): Grafana never goes below it. */
  minInterval?: string,
): number {
  const floor = minInterval ? parseGrafanaInterval(minInterval) : 0;
  return Math.max(floor, roundedIntervalMs((to.getTime() - from.getTime()) / maxDataPoints));
}

function roundedIntervalMs(raw: number): number {
  const steps: [number, number][] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [172_800_000, 86_400_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
  ];
  for (const [limit, step] of steps) if (raw <= limit) return step;
  return raw < 3_628_800_000 ? 2_592_000_000 : 31_536_000_000;
}

/** Go's time.Unix(): whole seconds, rounded toward negative infinity. */
function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function unixNanos(date: Date): string {
  return (BigInt(date.getTime()) * 1_000_000n).toString();
}

// --- dashboards → targets ----------------------------------------------------------------------

export interface PanelTarget {
  dashboard: string;
  panelTitle: string;
  panelType: string;
  refId: string;
  rawSql: string;
  format: string;
  /** Datasource uid of the target (or its panel). */
  datasourceUid?: string;
  /** Panel relative time override ('90d'): Grafana queries [to - timeFrom, to] for this panel. */
  timeFrom?: string;
  /** Variable the panel repeats over: each copy sees one value. */
  repeat?: string;
  /** The panel's minimum interval ('1h'): $__interval is never below it. */
  interval?: string;
}

interface JsonPanel {
  type?: string;
  title?: string;
  datasource?: { uid?: string };
  targets?: { refId?: string; rawSql?: string; format?: string; datasource?: { uid?: string } }[];
  panels?: JsonPanel[];
  timeFrom?: string;
  repeat?: string;
  interval?: string;
}

/** Every SQL target of every panel (rows' nested panels included) of a dashboard JSON model. */
export function collectDashboardTargets(dashboardJson: unknown): PanelTarget[] {
  const model = dashboardJson as { title?: string; uid?: string; panels?: JsonPanel[] };
  const dashboard = model.title ?? model.uid ?? '(untitled)';
  const out: PanelTarget[] = [];
  const visit = (panels: JsonPanel[] | undefined) => {
    for (const panel of panels ?? []) {
      visit(panel.panels);
      for (const target of panel.targets ?? []) {
        if (typeof target.rawSql !== 'string') continue;
        out.push({
          dashboard,
          panelTitle: panel.title ?? '(untitled)',
          panelType: panel.type ?? 'unknown',
          refId: target.refId ?? 'A',
          rawSql: target.rawSql,
          // sql_engine.go: no format means time_series.
          format: target.format ?? 'time_series',
          datasourceUid: target.datasource?.uid ?? panel.datasource?.uid,
          ...(panel.timeFrom ? { timeFrom: panel.timeFrom } : {}),
          ...(panel.repeat ? { repeat: panel.repeat } : {}),
          ...(panel.interval ? { interval: panel.interval } : {}),
        });
      }
    }
  };
  visit(model.panels);
  return out;
}
