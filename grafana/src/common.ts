// What every wearhouse dashboard shares: the provisioned Postgres datasource, a typed SQL target
// (the SDK has no builder for Grafana's core Postgres query), the $user variable, thresholds, and
// the finishing pass that gives panels stable ids.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  type DataSourceRef,
  type Panel,
  QueryVariableBuilder,
  type RowPanel,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';

/** Must equal the uid in grafana/provisioning/datasources/wearhouse.yml (checked by test/compose.test.ts). */
export const DATASOURCE_UID = 'wearhouse-postgres';
export const DATASOURCE: DataSourceRef = { type: 'grafana-postgresql-datasource', uid: DATASOURCE_UID };

/** The panel filter for the $user variable: sqlstring quotes each selected value, doubling quotes. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var:format} syntax, not a JS template.
export const USERS = 'user_id in (${user:sqlstring})';

/** Series display name for long-format results: "<user> <column>". */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana display-name template, not a JS template.
export const BY_USER = '${__field.labels.user_id} ${__field.name}';

export type QueryFormat = 'time_series' | 'table';

/** The JSON model Grafana's Postgres query editor saves in code mode. */
export interface SqlQuery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorMode: 'code';
  format: QueryFormat;
  rawQuery: true;
  rawSql: string;
}

export class SqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: SqlQuery;

  constructor(rawSql: string, format: QueryFormat = 'time_series') {
    this.internal = {
      refId: 'A',
      datasource: DATASOURCE,
      editorMode: 'code',
      format,
      rawQuery: true,
      rawSql: dedent(rawSql),
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  build(): SqlQuery {
    return this.internal;
  }
}

/** A time series target: must return a `time` column, sorted ascending. */
export function series(rawSql: string, refId = 'A'): SqlQueryBuilder {
  return new SqlQueryBuilder(rawSql, 'time_series').refId(refId);
}

export function table(rawSql: string, refId = 'A'): SqlQueryBuilder {
  return new SqlQueryBuilder(rawSql, 'table').refId(refId);
}

/** Thresholds from a base colour and [value, colour] steps. */
export function thresholds(base: string, ...steps: [number, string][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

/** WHOOP's recovery bands: 0-33 red, 34-66 yellow, 67-100 green. */
export const RECOVERY_BANDS = () => thresholds('red', [34, 'yellow'], [67, 'green']);
/** WHOOP's strain zones: light < 10, moderate 10-13, high 14-17, all out 18-21. */
export const STRAIN_ZONES = () => thresholds('blue', [10, 'green'], [14, 'orange'], [18, 'red']);
/** Sleep hours: under 6 short, 6-7 fair, 7+ enough. */
export const SLEEP_HOURS = () => thresholds('red', [6, 'yellow'], [7, 'green']);
/** Percentages where higher is better (sleep performance, efficiency, consistency). */
export const GOOD_PCT = () => thresholds('red', [70, 'yellow'], [85, 'green']);
/** Plain series with nothing to judge: one neutral colour. */
export const NEUTRAL = () => thresholds('green');

export function legend(...calcs: string[]): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(calcs.length > 0 ? common.LegendDisplayMode.Table : common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .calcs(calcs);
}

export function tooltip(): common.VizTooltipOptionsBuilder {
  return new common.VizTooltipOptionsBuilder()
    .mode(common.TooltipDisplayMode.Multi)
    .sort(common.SortOrder.None);
}

export function reduce(calc: string): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().values(false).calcs([calc]);
}

/** A new dashboard with the shared variable, tags, links and defaults. */
export function newDashboard(
  uid: string,
  title: string,
  description: string,
  from: string,
): DashboardBuilder {
  return (
    new DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags(['wearhouse'])
      // Days are stored as local calendar dates; UTC display keeps a date's bar on that date.
      .timezone('utc')
      .time({ from, to: 'now' })
      .refresh('5m')
      .tooltip(DashboardCursorSync.Crosshair)
      .readonly()
      .withVariable(userVariable())
      .link(
        new DashboardLinkBuilder('wearhouse')
          .type(DashboardLinkType.Dashboards)
          .tags(['wearhouse'])
          .icon('external link')
          .tooltip('Other wearhouse dashboards')
          .asDropdown(true)
          .includeVars(true)
          .keepTime(true)
          .targetBlank(false),
      )
  );
}

/** Panels filtered by the $provider variable (the names of the `providers` table). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var:format} syntax, not a JS template.
export const PROVIDERS = 'provider in (${provider:sqlstring})';

/** The providers the worker is configured for (the `providers` table), so dashboards name none. */
export function providerVariable(): QueryVariableBuilder {
  const query = 'select name from providers order by 1';
  return new QueryVariableBuilder('provider')
    .label('Provider')
    .description('Which providers the panels show.')
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allowCustomValue(false)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export function userVariable(): QueryVariableBuilder {
  const query = 'select id from users order by 1';
  return new QueryVariableBuilder('user')
    .label('User')
    .description('Whose data the panels show (users who connected a provider).')
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allowCustomValue(false)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/**
 * $provider on the data dashboards: one provider at a time, from those the selected users connected
 * (read from data, never named here). A user who wears two devices has two nights a day, which summed
 * or averaged together would mean nothing.
 */
export function connectedProviderVariable(): QueryVariableBuilder {
  const query = `select distinct provider from connection_status where ${USERS} order by 1`;
  return new QueryVariableBuilder('provider')
    .label('Provider')
    .description('Which device the panels show, for users who wear more than one.')
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(false)
    .includeAll(false)
    .allowCustomValue(false)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc);
}

/**
 * The finishing pass: stable panel ids (1, 2, … in layout order, rows' nested panels included), the
 * datasource on every panel (Grafana resolves a panel without one to the *default* datasource), and
 * dashboard links in the toolbar rather than the SDK's default of the controls menu.
 */
export function finish(built: Dashboard): Dashboard {
  let id = 0;
  const visit = (panels: (Panel | RowPanel)[] | undefined) => {
    for (const panel of panels ?? []) {
      panel.id = ++id;
      if (panel.type === 'row') visit((panel as RowPanel).panels);
      else panel.datasource ??= DATASOURCE;
    }
  };
  visit(built.panels);
  for (const link of built.links ?? []) delete link.placement;
  return built;
}

/** Panel SQL is written indented in the sources; dashboards store it flush left. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** One daily_summary measure per user and day (the mean across users for many), as a time series. */
export function dailySummarySeries(column: string): string {
  return `
  select $__timeGroupAlias(day, '1d'), user_id as metric, ${column} as value
  from daily_summary
  where ${USERS} and ${PROVIDERS} and $__timeFilter(day) and ${column} is not null and ${ONE_USER}
  union all${acrossUserDailyMean(column, '$__timeFilter(day)', `'${MEAN_OF_USERS}' as metric`)}
  order by 1, 2`;
}

/**
 * The across-user mean of a daily_summary measure per day, for more than one selected user: two
 * `union all` arms selecting `time`, `second` (grouped by day) and `value`; no rows for one user.
 * Every user selected ("All"): from daily_summary_across_users (sums per day, docs/views.md); some
 * of them: from their daily_summary rows. Both are the mean over the selected users that have a
 * value that day.
 */
export function acrossUserDailyMean(column: string, dayFilter: string, second: string): string {
  return `
  select $__timeGroupAlias(day, '1d'), ${second}, avg(${column}) as value
  from daily_summary
  where ${USERS} and ${PROVIDERS} and ${dayFilter} and ${column} is not null
    and not (${ONE_USER}) and not (${ALL_USERS})
  group by day
  union all
  select $__timeGroupAlias(day, '1d'), ${second}, sum(${column}_sum) / sum(${column}_n) as value
  from daily_summary_across_users
  where ${PROVIDERS} and ${dayFilter} and ${ALL_USERS}
  group by day
  having sum(${column}_n) > 0`;
}

/** True when the $user variable holds more than one user ("All" included). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var:format} syntax, not a JS template.
export const MANY_USERS = 'cardinality(array[${user:sqlstring}]::text[]) > 1';
/** True when the $user variable holds one user. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var:format} syntax, not a JS template.
export const ONE_USER = 'cardinality(array[${user:sqlstring}]::text[]) = 1';
/** True when the $user variable holds every user of the variable's list (users), and more than one. */
// Counts the selected values that are users: values matching nobody never make a selection "All".
// One function call (sql/126): planned once, and never under a parallel scan of a gated-off arm.
export const ALL_USERS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var:format} syntax, not a JS template.
  'wearhouse_selects_all_users(array[${user:sqlstring}]::text[])';

/** The series name of the across-user mean drawn when more than one user is selected. */
export const MEAN_OF_USERS = 'mean of selected users';

/**
 * A per-user time series that becomes the across-user mean per time bucket when more than one user
 * is selected (docs/dashboards.md, "Many users"): one series per user is unreadable for a hundred
 * users, and sending every user's rows is what made "All" slow. With one user selected the query's
 * result is the per-user query's, unchanged. `perUser` returns `time`, the user column `userColumn`
 * and the measures `measures` (quoted names), with no ORDER BY. `allUsers`, when given, is the arm
 * drawn with every user selected instead (from stored across-user sums, see `acrossUserMeans`);
 * without it, "All" averages `perUser`'s rows like any other selection.
 */
export function perUserOrMean(
  perUser: string,
  userColumn: string,
  measures: string[],
  allUsers?: string,
): string {
  const means = measures.map((m) => `avg(${m}) as ${m}`).join(', ');
  const columns = measures.join(', ');
  const some = allUsers ? `${MANY_USERS} and not (${ALL_USERS})` : MANY_USERS;
  return `
  with per_user as (${dedent(perUser)
    .split('\n')
    .map((line, i) => (i === 0 ? line : `    ${line}`))
    .join('\n')}
  )
  select time, ${userColumn}, ${columns} from per_user where not (${MANY_USERS})
  union all
  select time, '${MEAN_OF_USERS}', ${means} from per_user where ${some} group by time${
    allUsers
      ? `
  union all${dedent(allUsers)
    .split('\n')
    .map((line) => `\n  ${line}`)
    .join('')}`
      : ''
  }
  order by 1, 2`;
}

/**
 * The "All" arm of `perUserOrMean` from an across-user table (docs/views.md, "Across-user daily
 * rows"): per day, each measure's sum over users divided by the number of users with a value, i.e.
 * the mean the per-user arm computes, from 16 rows a day whatever the number of users. `measures`
 * pairs each output name with the table's `<column>_sum` / `<column>_n`, or names the sum and count
 * columns; a day is drawn when `having` holds (the per-user query would have had a row for it).
 */
export function acrossUserMeans(
  table: string,
  measures: ([string, string] | [string, string, string])[],
  having: string,
): string {
  const values = measures
    .map(([name, column, count]) =>
      count
        ? `sum(${column})::float8 / nullif(sum(${count}), 0) as ${name}`
        : `sum(${column}_sum) / nullif(sum(${column}_n), 0) as ${name}`,
    )
    .join(', ');
  return `
  select $__timeGroupAlias(day, '1d'), '${MEAN_OF_USERS}', ${values}
  from ${table}
  where ${PROVIDERS} and $__timeFilter(day) and ${ALL_USERS}
  group by 1
  having ${having}`;
}
