// The $provider and $source variables of the cross-provider dashboards (Overview, Compare sources)
// and the SQL that reads them. A source is the device or app behind a record (an Apple Watch, an
// iPhone, another provider's app writing into HealthKit); records without one are labelled
// with their provider, so every row has a source to pick.
import {
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, PROVIDERS, USERS } from './common.ts';

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

/** One daily_health_by_source measure per user and source, as a time series ("<user> <source>"). */
export function bySourceSeries(expression: string, notNull: string): string {
  return `
    select $__timeGroupAlias(day, '1d'), user_id || ' ' || ${SOURCE_LABEL} as metric, ${expression} as value
    from daily_health_by_source
    where ${USERS} and ${SOURCES} and $__timeFilter(day) and ${notNull} is not null
    order by 1, 2`;
}
