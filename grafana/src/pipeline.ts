// Pipeline health: "is every connection syncing, within the provider's budget, and what is failing?"
// Freshness per user and kind, ingestion, API requests against the budget, 429s, failures by class,
// coverage gaps and the backfills running now.
import * as common from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as GaugePanel } from '@grafana/grafana-foundation-sdk/gauge';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  ALL_USERS,
  finish,
  legend,
  NEUTRAL,
  newDashboard,
  PROVIDERS,
  providerVariable,
  reduce,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';
import { budgetPlanPanel } from './pipeline-budget.ts';

/** Minutes without a successful sync before a kind is late (orange) and stale (red, as the alert). */
const LATE_MIN = 90;
const STALE_MIN = 120;
/** The day budget's share at which the gauge turns orange (red at 100%). */
const DAY_BUDGET_WARN_PCT = 80;

// A stopped connection says why beside its state (a refused refresh, the provider's 403 when the
// user's subscription expired): the reason is kept on the connection until it is reconnected.
const FRESHNESS = `
  select f.user_id as "user", f.provider, f.kind, f.connection_status as "connection",
    c.status_reason as "connection reason", f.last_success_at as "last success",
    f.sync_lag_min as "since success", f.last_change_at as "last record change", f.data_lag_h as "newest data age",
    f.running, f.failures_24h as "failures 24h", f.last_error_class as "last error"
  from pipeline_freshness f
  left join connection_status c on c.provider = f.provider and c.user_id = f.user_id
  where f.${USERS} and f.${PROVIDERS}
  order by f.sync_lag_min desc nulls first, 1, 2, 3`;

// Active connections whose newest successful run (any kind) is older than the threshold, or never.
// The newest success per kind is pipeline_freshness's, read from its stored rows (sql/123,
// sync_run_latest: one index probe per connection instead of the view per connection).
const STALE = `
  select count(*) as stale
  from connection_status c
  where c.${USERS} and c.${PROVIDERS} and c.status = 'active'
    and coalesce((select max(l.last_success_at) from sync_run_latest l
                  where l.provider = c.provider and l.user_id = c.user_id), '-infinity')
        < now() - interval '${STALE_MIN} minutes'`;

const RUNNING = `
  select count(*) as running
  from sync_runs
  where ${USERS} and status = 'running'`;

// The hourly rollups (docs/views.md, "Hourly pipeline rollups") count by the hour: these panels'
// minimum interval is an hour, and a range's first and last hours count whole.
const INGESTED = `
  select $__timeGroupAlias(hour, $__interval), kind as metric, sum(records) as value
  from records_ingested_hourly
  where ${USERS} and $__timeFilter(hour)
  group by 1, 2
  having sum(records) > 0
  order by 1, 2`;

// With every user selected, the run counts come from their sums over users
// (sync_runs_hourly_across_users: 16 rows an hour whatever the number of users; docs/views.md).
const OUTCOMES = `
  select time, sum("inserted") as "inserted", sum("updated") as "updated", sum("unchanged") as "unchanged",
    sum("quarantined") as "quarantined", sum("deleted") as "deleted"
  from (
    select $__timeGroupAlias(finished_hour, $__interval), runs,
      inserted as "inserted", updated as "updated", unchanged as "unchanged",
      quarantined as "quarantined", deleted as "deleted"
    from sync_runs_hourly
    where ${USERS} and finished_hour is not null and $__timeFilter(finished_hour) and not (${ALL_USERS})
    union all
    select $__timeGroupAlias(finished_hour, $__interval), runs, inserted, updated, unchanged, quarantined, deleted
    from sync_runs_hourly_across_users
    where finished_hour is not null and $__timeFilter(finished_hour) and ${ALL_USERS}
  ) h
  group by 1
  having sum(runs) > 0
  order by 1`;

// The request ledger is per app, like the budget (no user column). provider_requests_hourly keeps,
// per provider and hour, the busiest minute of that hour (all endpoints and statuses summed per
// minute first), so the busiest minute of any bucket of whole hours is the max of its hours: zooming
// out never hides a burst, and 30 days are 720 rows per provider, not every minute of every endpoint
// (docs/sql-reference.md, provider_requests_hourly). The panel's minimum interval is an hour.
// Each provider's budget (the `providers` table, as the worker is configured) is a flat series
// across the range, "<provider> budget".
const REQUESTS = `
  with busiest as (
    select $__timeGroupAlias(hour, $__interval), provider as metric, max(peak_minute_requests) as value
    from provider_requests_hourly
    where ${PROVIDERS} and $__timeFilter(hour)
    group by 1, 2
  ), budget as (
    select name || ' budget' as metric, requests_per_minute as value
    from providers
    where name in (\${provider:sqlstring})
  )
  select time, metric, value from busiest
  union all
  select extract(epoch from $__timeFrom()::timestamptz), metric, value from budget
  union all
  select extract(epoch from $__timeTo()::timestamptz), metric, value from budget
  order by 1, 2`;

// Per provider with a day budget: its requests in the 24 hours before the range's end, as a share.
const DAY_BUDGET = `
  select p.display_name as "provider",
    round(100.0 * coalesce(sum(r.requests), 0) / p.requests_per_day, 1) as "% of day budget"
  from providers p
  left join provider_requests r
    on r.provider = p.name and r.minute > $__timeTo()::timestamptz - interval '24 hours'
   and r.minute <= $__timeTo()::timestamptz
  where p.name in (\${provider:sqlstring}) and p.requests_per_day is not null
  group by p.name, p.display_name, p.requests_per_day
  order by 1`;

const THROTTLED = `
  select $__timeGroupAlias(minute, $__interval), provider || ' ' || status || ' ' || endpoint as metric,
    sum(requests) as value
  from provider_requests
  where ${PROVIDERS} and (status = 429 or status >= 500) and $__timeFilter(minute)
  group by 1, 2
  order by 1, 2`;

const RUN_STATUS = `
  select time, metric, sum(runs) as value
  from (
    select $__timeGroupAlias(started_hour, $__interval), status as metric, runs
    from sync_runs_hourly
    where ${USERS} and $__timeFilter(started_hour) and not (${ALL_USERS})
    union all
    select $__timeGroupAlias(started_hour, $__interval), status, runs
    from sync_runs_hourly_across_users
    where $__timeFilter(started_hour) and ${ALL_USERS}
  ) h
  group by 1, 2
  having sum(runs) > 0
  order by 1, 2`;

const FAILURES = `
  select provider, coalesce(error_class, 'unclassified') as "class", sum(runs) as "failures",
    count(distinct user_id) filter (where runs > 0) as "users", max(last_started_at) as "last",
    (array_agg(last_error_message order by last_started_at desc nulls last))[1] as "last message"
  from sync_runs_hourly
  where ${USERS} and ${PROVIDERS} and status = 'failed' and $__timeFilter(started_hour)
  group by 1, 2
  having sum(runs) > 0
  order by 3 desc`;

// What of the time range no coverage span holds, per user and kind (a backfill would fetch it).
const GAPS = `
  select g.user_id as "user", g.provider, g.kind, lower(gap) as "gap from", upper(gap) as "gap to",
    extract(epoch from upper(gap) - lower(gap)) / 86400 as "days"
  from (
    select provider, user_id, kind,
      tstzmultirange(tstzrange($__timeFrom()::timestamptz, $__timeTo()::timestamptz, '[)')) - range_agg(span) as gaps
    from coverage
    where ${USERS} and span && tstzrange($__timeFrom()::timestamptz, $__timeTo()::timestamptz, '[)')
    group by 1, 2, 3
  ) g
  cross join lateral unnest(g.gaps) as gap
  order by 6 desc`;

// What the ledger holds as fetched, per provider, user and kind: the merged coverage spans in the
// time range (final ones are never re-fetched; recent ones are re-read by incremental syncs).
const COVERED = `
  select c.user_id as "user", c.provider, c.kind, lower(span) as "covered from", upper(span) as "covered to",
    extract(epoch from upper(span) - lower(span)) / 86400 as "days"
  from (
    select provider, user_id, kind, range_agg(span) as spans
    from coverage
    where ${USERS} and span && tstzrange($__timeFrom()::timestamptz, $__timeTo()::timestamptz, '[)')
    group by 1, 2, 3
  ) c
  cross join lateral unnest(c.spans) as span
  order by 2, 1, 3, 4`;

const BACKFILLS = `
  select workflow_id as "workflow", workflow_type as "type", user_id as "user", kind,
    window_start as "window from", window_end as "window to", attempt, started_at as "started",
    extract(epoch from now() - started_at) / 60 as "running for", pages, fetched
  from sync_runs
  where ${USERS} and status = 'running'
  order by started_at`;

const QUARANTINE = `
  select provider, user_id as "user", kind, reason, count(*) as "records", sum(seen_count) as "seen",
    max(last_seen_at) as "last seen"
  from quarantine
  where ${USERS} and $__timeFilter(created_at)
  group by 1, 2, 3, 4
  order by 7 desc`;

function timeseries(title: string, description: string, unit: string, sql: string) {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .min(0)
    .thresholds(NEUTRAL())
    .legend(legend('sum', 'max'))
    .tooltip(tooltip())
    .withTarget(series(sql))
    .span(12);
}

export function pipelineDashboard(): Dashboard {
  const lag = thresholds('green', [LATE_MIN, 'orange'], [STALE_MIN, 'red']);
  const builder = newDashboard(
    'wearhouse-pipeline',
    'Pipeline health',
    'Is every connection syncing, within the provider budget, and what is failing? For operators.',
    'now-7d',
  )
    .refresh('1m')
    .withVariable(providerVariable())
    .withRow(new RowBuilder('Freshness'))
    .withPanel(
      new StatPanel()
        .title('Stale connections')
        .description(
          `Active connections with no successful sync for ${STALE_MIN} minutes (the alert's threshold).`,
        )
        .unit(units.Short)
        .thresholds(thresholds('green', [1, 'red']))
        .withTarget(table(STALE))
        .reduceOptions(reduce('lastNotNull'))
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(6)
        .span(4),
    )
    .withPanel(
      new StatPanel()
        .title('Activities running')
        .description('Sync activities running now (backfill windows and incremental syncs).')
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(RUNNING))
        .reduceOptions(reduce('lastNotNull'))
        .graphMode(common.BigValueGraphMode.None)
        .height(6)
        .span(4),
    )
    .withPanel(
      new TablePanel()
        .title('Freshness per user and kind')
        .description(
          `Minutes since the last successful run (orange after ${LATE_MIN}, red after ${STALE_MIN}), newest record change and the age of the newest record. A connection that is not active says why (a refused login, the provider refusing the user's data).`,
        )
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(FRESHNESS))
        .overrideByName('since success', [
          { id: 'unit', value: units.Minutes },
          { id: 'decimals', value: 0 },
          { id: 'thresholds', value: lag.build() },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
        ])
        .overrideByName('newest data age', [
          { id: 'unit', value: units.Hours },
          { id: 'decimals', value: 1 },
        ])
        .height(6)
        .span(16),
    )
    .withRow(new RowBuilder('Throughput and budget'))
    .withPanel(
      timeseries('Records ingested', 'Records stored for the first time, per kind.', units.Short, INGESTED)
        // The rollup it reads is hourly (records_ingested_hourly).
        .interval('1h')
        .drawStyle(common.GraphDrawStyle.Bars),
    )
    .withPanel(
      timeseries(
        'Upserts by outcome',
        'What sync runs did with the records they fetched.',
        units.Short,
        OUTCOMES,
      )
        // The rollup it reads is hourly (sync_runs_hourly).
        .interval('1h')
        .drawStyle(common.GraphDrawStyle.Bars)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      timeseries(
        'API requests against the budget',
        "Busiest minute of each hour (or longer interval) per provider, all users and endpoints of the app; the dashed red lines are each provider's budget per minute, as the worker is configured.",
        units.RequestsPerMinute,
        REQUESTS,
      )
        // The rollup it reads is hourly (provider_requests_hourly).
        .interval('1h')
        .overrideByRegexp(' budget$', [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
        ])
        .span(9),
    )
    .withPanel(
      new GaugePanel()
        .title('Requests in 24 hours')
        .description(
          "Each provider's requests in the 24 hours before the end of the range, as a share of its day budget.",
        )
        .unit(units.Percent)
        .min(0)
        .max(100)
        .thresholds(thresholds('green', [DAY_BUDGET_WARN_PCT, 'orange'], [100, 'red']))
        .withTarget(table(DAY_BUDGET))
        // One gauge per provider (row), named by its provider column.
        .reduceOptions(
          new common.ReduceDataOptionsBuilder().values(true).calcs([]).fields('/% of day budget/'),
        )
        .span(3),
    )
    .withPanel(budgetPlanPanel())
    .withPanel(
      timeseries(
        '429s and 5xx',
        'Rate-limited (429) and server-error responses per endpoint.',
        units.Short,
        THROTTLED,
      )
        .thresholds(thresholds('orange'))
        .drawStyle(common.GraphDrawStyle.Bars),
    )
    .withPanel(
      timeseries(
        'Sync runs by status',
        'Activity runs started, by how they ended (or running).',
        units.Short,
        RUN_STATUS,
      )
        // The rollup it reads is hourly (sync_runs_hourly).
        .interval('1h')
        .thresholds(NEUTRAL())
        .drawStyle(common.GraphDrawStyle.Bars)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .overrideByName('failed', [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }]),
    )
    .withRow(new RowBuilder('Failures and gaps'))
    .withPanel(
      new TablePanel()
        .title('Failures by class')
        .description('Failed activity runs in the time range by error class, with the latest message.')
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(FAILURES))
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Coverage gaps')
        .description(
          'Parts of the time range no coverage span holds, per user and kind: what a backfill would fetch.',
        )
        .unit(units.Short)
        .decimals(1)
        .thresholds(thresholds('green', [1, 'orange'], [7, 'red']))
        .withTarget(table(GAPS))
        .overrideByName('days', [
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
        ])
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Covered ranges')
        .description(
          'Date ranges the coverage ledger holds per provider, user and kind: re-running a backfill over them costs no request.',
        )
        .unit(units.Short)
        .decimals(1)
        .thresholds(NEUTRAL())
        .withTarget(table(COVERED))
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Running backfills and syncs')
        .description('Activity runs with status running, oldest first ("running for" in minutes).')
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(BACKFILLS))
        .overrideByName('running for', [
          { id: 'unit', value: units.Minutes },
          { id: 'decimals', value: 0 },
        ])
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Quarantined records')
        .description('Records that failed validation, by reason: kept, counted, never retried blindly.')
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(QUARANTINE))
        .span(12),
    );
  return finish(builder.build());
}
