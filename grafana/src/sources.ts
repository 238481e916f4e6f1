// The $provider and $source variables of the cross-provider dashboards (Overview, Compare sources)
// and the SQL that reads them. A source is the device or app behind a record (an Apple Watch, an
// iPhone, another provider's app writing into HealthKit); records without one are labelled
// with their provider, so every row has a source to pick.
import {
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { ALL_USERS, DATASOURCE, MANY_USERS, MEAN_OF_USERS, ONE_USER, PROVIDERS, USERS } from './common.ts';

/** The label of a daily_health_by_source row: its source, or its provider when it has none. */
export const SOURCE_LABEL = 'coalesce(source, provider)';

/** The panel filter for $provider and $source (each value quoted, quotes doubled). */
export const SOURCES = `${PROVIDERS} and ${SOURCE_LABEL} in (\${source:sqlstring})`;

export function sourceVariable(): QueryVariableBuilder {
  // Sources seen for the selected users and providers in the time range: the devices behind them.
  const query = `select distinct ${SOURCE_LABEL} from daily_health_by_source where ${USERS} and ${PROVIDERS} and $__timeFilter(day) order by 1`;
  return new QueryVariableBuilder('source')
    .label('Source')
    .description(
      'Which devices or apps the per-source panels show (records without a device are labelled by provider).',
    )
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allowCustomValue(false)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/**
 * One daily_health_by_source measure per user and source, as a time series ("<user> <source>"); with
 * more than one user selected, per source the mean over the selected users' rows of each day
 * ("mean of selected users <source>", docs/dashboards.md "Many users"), from the stored sums over
 * users with every user selected (daily_health_by_source_across_users, docs/views.md). `column` is
 * the measure, shown divided by `divisor` (minutes as hours).
 */
export function bySourceSeries(column: string, divisor = 1): string {
  const scaled = (value: string) => (divisor === 1 ? value : `${value} / ${divisor}`);
  return `
    select $__timeGroupAlias(day, '1d'), user_id || ' ' || ${SOURCE_LABEL} as metric, ${scaled(column)} as value
    from daily_health_by_source
    where ${USERS} and ${SOURCES} and $__timeFilter(day) and ${column} is not null and ${ONE_USER}
    union all
    select $__timeGroupAlias(day, '1d'), '${MEAN_OF_USERS} ' || ${SOURCE_LABEL}, ${scaled(`avg(${column})`)}
    from daily_health_by_source
    where ${USERS} and ${SOURCES} and $__timeFilter(day) and ${column} is not null
      and ${MANY_USERS} and not (${ALL_USERS})
    group by 1, ${SOURCE_LABEL}
    union all
    select $__timeGroupAlias(day, '1d'), '${MEAN_OF_USERS} ' || label,
      ${scaled(`sum(${column}_sum) / nullif(sum(${column}_n), 0)`)}
    from daily_health_by_source_across_users
    where ${ACROSS_SOURCES} and $__timeFilter(day) and ${ALL_USERS}
    group by 1, label
    having sum(${column}_n) > 0
    order by 1, 2`;
}

/** $provider and $source on daily_health_by_source_across_users (its `label` is SOURCE_LABEL). */
export const ACROSS_SOURCES = `${PROVIDERS} and label in (\${source:sqlstring})`;
