// Apple Health: "what did the phone and watch record?" Heart rate, steps, energy, resting HR and
// HRV per day, sleep stages per night, workouts, which sources measured what, and the imports.
// Reads the samples and apple_health_* views (sql/031_apple_health_views.sql).
import * as common from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  BY_USER,
  finish,
  legend,
  NEUTRAL,
  newDashboard,
  reduce,
  SLEEP_HOURS,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';

// Heart rate samples bucketed by Grafana's interval: mean, min and max per bucket.
const HEART_RATE = `
  select $__timeGroupAlias(start_at, $__interval), user_id,
    avg(value) as "mean", min(value) as "min", max(value) as "max"
  from samples
  where ${USERS} and type = 'HKQuantityTypeIdentifierHeartRate' and $__timeFilter(start_at)
  group by 1, 2
  order by 1, 2`;

const daily = (column: string) => `
  select $__timeGroupAlias(day, '1d'), user_id as metric, ${column} as value
  from apple_health_daily
  where ${USERS} and $__timeFilter(day) and ${column} is not null
  order by 1, 2`;

const STEPS_BY_SOURCE = `
  select $__timeGroupAlias(day, '1d'), source as metric, sum(value) as value
  from samples
  where ${USERS} and type = 'HKQuantityTypeIdentifierStepCount' and $__timeFilter(day)
  group by 1, 2
  order by 1, 2`;

const STAGES = `
  select $__timeGroupAlias(day, '1d'),
    sum(deep_h) as "deep", sum(rem_h) as "REM", sum(light_h) as "core", sum(awake_h) as "awake"
  from apple_health_sleeps
  where ${USERS} and $__timeFilter(day)
  group by 1
  order by 1`;

const MEAN_ASLEEP = `
  select $__timeGroupAlias(day, '1d'), user_id as metric, max(asleep_h) as value
  from apple_health_sleeps
  where ${USERS} and $__timeFilter(day)
  group by 1, 2
  order by 1, 2`;

const WORKOUTS = `
  select start_local as "start (local)", user_id as "user", sport, duration_min as "minutes",
    energy_kcal as "kcal", distance_m / 1000 as "km", avg_hr_bpm as "avg HR", max_hr_bpm as "max HR",
    source, has_route as "route"
  from apple_health_workouts
  where ${USERS} and $__timeFilter(start_at)
  order by start_at desc
  limit 500`;

const SOURCES = `
  select source, type, count(*) as "samples", min(start_at) as "first", max(start_at) as "last"
  from samples
  where ${USERS} and $__timeFilter(start_at)
  group by 1, 2
  order by 3 desc
  limit 200`;

const IMPORTS = `
  select started_at as "started", user_id as "user", status, xml_name as "export",
    round(100.0 * byte_offset / nullif(xml_bytes, 0), 1) as "done %", records, inserted,
    unchanged as "already stored", duplicates, quarantined, routes, attempts, error
  from file_imports
  where ${USERS}
  order by started_at desc
  limit 50`;

function timeseries(title: string, description: string, unit: string) {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .legend(legend('mean', 'min', 'max'))
    .tooltip(tooltip())
    .thresholds(NEUTRAL())
    .span(12);
}

function stat(title: string, description: string, unit: string, rawSql: string) {
  return new StatPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .decimals(0)
    .thresholds(NEUTRAL())
    .withTarget(series(rawSql))
    .reduceOptions(reduce('mean'))
    .colorMode(common.BigValueColorMode.Value)
    .height(5)
    .span(6);
}

export function appleHealthDashboard(): Dashboard {
  const builder = newDashboard(
    'wearhouse-apple-health',
    'Apple Health',
    'What the iPhone and Apple Watch recorded: heart rate, steps, energy, sleep stages, workouts, sources and imports.',
    'now-90d',
  )
    .withRow(new RowBuilder('Summary'))
    .withPanel(
      stat(
        'Steps per day',
        'Mean steps per day (the source that counted most).',
        units.Short,
        daily('steps'),
      ),
    )
    .withPanel(
      stat('Active energy per day', 'Mean active kilocalories per day.', 'kcal', daily('active_energy_kcal')),
    )
    .withPanel(stat('Resting heart rate', 'Mean resting heart rate.', 'bpm', daily('resting_hr_bpm')))
    .withPanel(
      new StatPanel()
        .title('Hours asleep')
        .description('Mean hours asleep per night (stages AsleepCore, AsleepDeep, AsleepREM, Asleep).')
        .unit(units.Hours)
        .decimals(1)
        .thresholds(SLEEP_HOURS())
        .withTarget(series(MEAN_ASLEEP))
        .reduceOptions(reduce('mean'))
        .colorMode(common.BigValueColorMode.Value)
        .height(5)
        .span(6),
    )
    .withRow(new RowBuilder('Heart'))
    .withPanel(
      timeseries('Heart rate', 'Heart rate samples: mean, min and max per interval.', 'bpm')
        .displayName(BY_USER)
        .withTarget(series(HEART_RATE))
        .span(24),
    )
    .withPanel(
      timeseries('Resting heart rate', 'Resting heart rate per day.', 'bpm').withTarget(
        series(daily('resting_hr_bpm')),
      ),
    )
    .withPanel(
      timeseries('HRV (SDNN)', 'Mean heart rate variability (SDNN) per day.', units.Milliseconds).withTarget(
        series(daily('hrv_ms')),
      ),
    )
    .withRow(new RowBuilder('Activity'))
    .withPanel(
      timeseries('Steps per day', 'Steps per day: the source that counted the most.', units.Short)
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(70)
        .withTarget(series(daily('steps'))),
    )
    .withPanel(
      timeseries(
        'Steps per source',
        'The same walk counted by each device (why a sum over sources double-counts).',
        units.Short,
      ).withTarget(series(STEPS_BY_SOURCE)),
    )
    .withPanel(
      timeseries('Active energy', 'Active kilocalories per day.', 'kcal').withTarget(
        series(daily('active_energy_kcal')),
      ),
    )
    .withPanel(
      timeseries('Exercise minutes and stand hours', 'From the Activity rings summary.', units.Short)
        .withTarget(series(daily('exercise_min'), 'A'))
        .withTarget(series(daily('stand_h'), 'B')),
    )
    .withRow(new RowBuilder('Sleep'))
    .withPanel(
      timeseries('Sleep stages', 'Hours per stage each night (stacked).', units.Hours)
        .decimals(1)
        .min(0)
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(80)
        .lineWidth(0)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('stages'))
        .withTarget(series(STAGES))
        .span(24),
    )
    .withRow(new RowBuilder('Workouts and sources'))
    .withPanel(
      new TablePanel()
        .title('Workouts')
        .description('Every workout in the time range, newest first; totals from WorkoutStatistics.')
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(WORKOUTS))
        .height(10)
        .span(24),
    )
    .withPanel(
      new TablePanel()
        .title('Sources')
        .description('Which device or app measured what, and over which period.')
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(SOURCES))
        .height(10)
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Imports')
        .description('Export imports: progress, counts, attempts and errors.')
        .unit(units.Short)
        .thresholds(thresholds('green'))
        .withTarget(table(IMPORTS))
        .height(10)
        .span(12),
    );
  return finish(builder.build());
}
