// Strain & workouts: "how hard did I push, doing what?" Day strain, energy expenditure, workouts
// by sport, time in heart-rate zones, weekly volume and the workout log.
import { PanelBuilder as BarchartPanel } from '@grafana/grafana-foundation-sdk/barchart';
import { PanelBuilder as BargaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  FieldColorBuilder,
  FieldColorModeId,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  ALL_USERS,
  acrossUserMeans,
  connectedProviderVariable,
  dailySummarySeries,
  finish,
  legend,
  MEAN_OF_USERS,
  NEUTRAL,
  newDashboard,
  PROVIDERS,
  perUserOrMean,
  reduce,
  STRAIN_ZONES,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';

const STRAIN = dailySummarySeries('day_strain');

const ENERGY = dailySummarySeries('energy_kcal');

const WORKOUT_COUNT = perUserOrMean(
  `
  select $__timeGroupAlias(day, '1d'), user_id as metric, count(*) as value
  from workouts_stored
  where ${USERS} and ${PROVIDERS} and $__timeFilter(day)
  group by 1, 2`,
  'metric',
  ['value'],
  // Every user: per day, workouts over users with one (workout_days_across_users, docs/views.md).
  acrossUserMeans('workout_days_across_users', [['value', 'workouts', 'users']], 'sum(users) > 0'),
);

const BY_SPORT = `
  select sport, count(*) as "workouts", sum(duration_min) / 60 as "hours"
  from workouts_stored
  where ${USERS} and ${PROVIDERS} and $__timeFilter(start_at)
  group by 1
  order by 3 desc`;

const ZONES = `
  select user_id as "user",
    sum(zone0_min) as "zone 0", sum(zone1_min) as "zone 1", sum(zone2_min) as "zone 2",
    sum(zone3_min) as "zone 3", sum(zone4_min) as "zone 4", sum(zone5_min) as "zone 5"
  from workouts_stored
  where ${USERS} and ${PROVIDERS} and $__timeFilter(start_at)
  group by 1
  order by 1`;

// The range's whole ISO weeks: from the first Monday on or after its first day (inclusive) to the
// Monday after the last Sunday on or before its last day (exclusive). $__timeFilter(day) compares
// the day with the range's instants cast to dates.
const FIRST_MONDAY = "date_trunc('week', $__timeFrom()::date + 6)::date";
const MONDAY_AFTER = "date_trunc('week', $__timeTo()::date + 1)::date";

// ISO weeks (Monday first) rather than $__timeGroup(day, '7d'), whose buckets start on Thursdays
// (epoch-aligned); the time filter still comes from the picker.
const WEEKLY = perUserOrMean(
  `
  select date_trunc('week', day::timestamp) at time zone 'UTC' as time, user_id as metric,
    sum(duration_min) / 60 as value
  from workouts_stored
  where ${USERS} and ${PROVIDERS} and $__timeFilter(day)
  group by 1, 2`,
  'metric',
  ['value'],
  // Every user: the weeks wholly in the range (from the first Monday on or after its first day to
  // the last Sunday on or before its last) from the stored sums over users
  // (workout_weeks_across_users, docs/views.md); the days before and after them, whose weeks count
  // only their days in the range, from the users' own workouts of those days.
  `
  select week::timestamp at time zone 'UTC' as time, '${MEAN_OF_USERS}',
    sum(hours_sum) / nullif(sum(hours_n), 0) as value
  from workout_weeks_across_users
  where ${PROVIDERS} and ${ALL_USERS}
    and week >= ${FIRST_MONDAY} and week < ${MONDAY_AFTER}
  group by week
  having sum(users) > 0
  union all
  select time, '${MEAN_OF_USERS}', avg(value) from (
    select date_trunc('week', day::timestamp) at time zone 'UTC' as time, user_id,
      sum(duration_min) / 60 as value
    from workouts_stored
    where ${PROVIDERS} and ${ALL_USERS}
      and ((day >= $__timeFrom()::date and day < ${FIRST_MONDAY})
        or (day >= ${MONDAY_AFTER} and day <= $__timeTo()::date))
    group by 1, 2
  ) edge
  group by time`,
);

const LOG = `
  select day, user_id as "user", sport, duration_min as "duration", strain, avg_hr_bpm as "avg HR",
    max_hr_bpm as "max HR", energy_kcal as "kcal", energy_kj as "kJ", distance_m / 1000 as "distance"
  from workouts_stored
  where ${USERS} and ${PROVIDERS} and $__timeFilter(start_at)
  order by start_at desc
  limit 500`;

export function strainDashboard(): Dashboard {
  const builder = newDashboard(
    'wearhouse-strain',
    'Strain & workouts',
    'How hard each day and workout was: day strain, energy, sports, heart-rate zones and weekly volume.',
    'now-90d',
  )
    .withVariable(connectedProviderVariable())
    .withRow(new RowBuilder('Days'))
    .withPanel(
      new TimeseriesPanel()
        .title('Day strain')
        .description(
          'Strain of each physiological day (0-21): light < 10, moderate 10-13, high 14-17, all out 18+.',
        )
        .unit(units.Short)
        .decimals(1)
        .min(0)
        .max(21)
        .thresholds(STRAIN_ZONES())
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Area),
        )
        .showPoints(common.VisibilityMode.Always)
        .legend(legend('mean', 'max'))
        .tooltip(tooltip())
        .withTarget(series(STRAIN))
        .span(12),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('Energy expenditure')
        .description('Energy burned per physiological day in kcal (kJ / 4.184; kJ in the workout log).')
        .unit('suffix: kcal')
        .decimals(0)
        .min(0)
        .thresholds(NEUTRAL())
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .legend(legend('mean', 'sum'))
        .tooltip(tooltip())
        .withTarget(series(ENERGY))
        .span(8),
    )
    .withPanel(
      new StatPanel()
        .title('Workouts')
        .description('Workouts in the time range.')
        .unit(units.Short)
        .decimals(0)
        .thresholds(NEUTRAL())
        .withTarget(series(WORKOUT_COUNT))
        .reduceOptions(reduce('sum'))
        .graphMode(common.BigValueGraphMode.None)
        .span(4),
    )
    .withRow(new RowBuilder('Workouts'))
    .withPanel(
      new BarchartPanel()
        .title('Workouts by sport')
        .description('Number of workouts and hours per sport over the time range (selected users together).')
        .unit(units.Short)
        .decimals(1)
        .thresholds(NEUTRAL())
        .xField('sport')
        .orientation(common.VizOrientation.Horizontal)
        .showValue(common.VisibilityMode.Auto)
        .legend(legend())
        .tooltip(tooltip())
        .withTarget(table(BY_SPORT))
        .overrideByName('hours', [{ id: 'unit', value: units.Hours }])
        .span(12),
    )
    .withPanel(
      new BargaugePanel()
        .title('Time in heart-rate zones')
        .description('Minutes in each WHOOP heart-rate zone during workouts over the time range.')
        .unit(units.Minutes)
        .decimals(0)
        .min(0)
        .thresholds(thresholds('blue', [0, 'green']))
        .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.ContinuousBlYlRd))
        .displayMode(common.BarGaugeDisplayMode.Gradient)
        .orientation(common.VizOrientation.Horizontal)
        .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs([]).fields('/^zone/'))
        .withTarget(table(ZONES))
        .span(12),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('Weekly training volume')
        .description('Workout hours per ISO week (Monday to Sunday, local days).')
        .unit(units.Hours)
        .decimals(1)
        .min(0)
        .thresholds(NEUTRAL())
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(70)
        .legend(legend('mean', 'max'))
        .tooltip(tooltip())
        .withTarget(series(WEEKLY))
        .span(24),
    )
    .withPanel(
      new TablePanel()
        .title('Workout log')
        .description('Every workout in the time range, newest first. Duration in minutes, distance in km.')
        .unit(units.Short)
        .decimals(1)
        .thresholds(NEUTRAL())
        .withTarget(table(LOG))
        .overrideByName('day', [{ id: 'unit', value: 'string' }])
        .overrideByName('duration', [{ id: 'unit', value: units.Minutes }])
        .overrideByName('strain', [
          { id: 'thresholds', value: STRAIN_ZONES().build() },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
        ])
        .overrideByName('distance', [{ id: 'unit', value: units.Kilometer }])
        .span(24),
    );
  return finish(builder.build());
}
