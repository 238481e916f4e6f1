// Overview: "how am I doing today, and which way is it trending?" across every provider. Headline
// figures come from daily_health (each measure from the user's preferred source, named in the
// panels); the per-source trends from daily_health_by_source, filtered by $provider and $source.
import * as common from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  ALL_USERS,
  finish,
  legend,
  MANY_USERS,
  MEAN_OF_USERS,
  NEUTRAL,
  newDashboard,
  ONE_USER,
  providerVariable,
  RECOVERY_BANDS,
  reduce,
  SLEEP_HOURS,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';
import { bySourceSeries, sourceVariable } from './sources.ts';

const PREFERRED =
  'Each day from the source ranked first in source_preferences that has the measure (docs/sql-reference.md, "Choosing sources").';

/**
 * One daily_health column per user and day; `kind` (the score's or HRV's kind column) names the
 * series with the user. With more than one user selected, per day (and kind) the mean over the
 * selected users, from the stored sums with every user (daily_health_across_users, docs/dashboards.md
 * "Many users").
 */
function latest(column: string, kind?: string): string {
  const label = kind ? `user_id || ' ' || ${kind}` : 'user_id';
  const meanLabel = kind ? `'${MEAN_OF_USERS} ' || ${kind}` : `'${MEAN_OF_USERS}'`;
  const byKind = kind ? `, ${kind}` : '';
  return `
    select $__timeGroupAlias(day, '1d'), ${label} as metric, ${column} as value
    from daily_health
    where ${USERS} and $__timeFilter(day) and ${column} is not null and ${ONE_USER}
    union all
    select $__timeGroupAlias(day, '1d'), ${meanLabel}, avg(${column})
    from daily_health
    where ${USERS} and $__timeFilter(day) and ${column} is not null and ${MANY_USERS} and not (${ALL_USERS})
    group by 1${byKind}
    union all
    select $__timeGroupAlias(day, '1d'), ${meanLabel}, sum(${column}_sum) / sum(${column}_n)
    from daily_health_across_users
    where $__timeFilter(day) and ${ALL_USERS}
    group by 1${byKind}
    having sum(${column}_n) > 0
    order by 1, 2`;
}

function stat(title: string, description: string, sql: string, unit: string) {
  return new StatPanel()
    .title(title)
    .description(`${description} ${PREFERRED}`)
    .unit(unit)
    .withTarget(series(sql))
    .reduceOptions(reduce('lastNotNull'))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Background)
    .textMode(common.BigValueTextMode.ValueAndName)
    .height(5)
    .span(4);
}

function timeseries(title: string, description: string, sql: string, unit: string) {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .withTarget(series(sql))
    .legend(legend('mean', 'lastNotNull'))
    .tooltip(tooltip())
    .span(12);
}

/**
 * The preferred recovery/readiness score with its trailing 7-day mean, over extra days before the
 * range. With more than one user selected: the mean over the users per day (from the stored sums
 * with every user) and the trailing 7-day mean of that.
 */
const RECOVERY_TREND = `
  with d as (
    select day, user_id, recovery_score,
      avg(recovery_score) over (partition by user_id order by day
                                range between interval '6 days' preceding and current row) as mean_7d
    from daily_health
    where ${USERS} and day between $__timeFrom()::date - 6 and $__timeTo()::date and ${ONE_USER}
  ), m as (
    select day, avg(recovery_score) as score
    from daily_health
    where ${USERS} and day between $__timeFrom()::date - 6 and $__timeTo()::date
      and recovery_score is not null and ${MANY_USERS} and not (${ALL_USERS})
    group by day
    union all
    select day, sum(recovery_score_sum) / sum(recovery_score_n)
    from daily_health_across_users
    where day between $__timeFrom()::date - 6 and $__timeTo()::date and ${ALL_USERS}
    group by day
    having sum(recovery_score_n) > 0
  ), mean as (
    select day, score,
      avg(score) over (order by day range between interval '6 days' preceding and current row) as mean_7d
    from m
  )
  select $__timeGroupAlias(day, '1d'), user_id as metric, recovery_score as score, mean_7d as "7-day mean"
  from d
  where $__timeFilter(day) and recovery_score is not null
  union all
  select $__timeGroupAlias(day, '1d'), '${MEAN_OF_USERS}', score, mean_7d
  from mean
  where $__timeFilter(day)
  order by 1, 2`;

const ANSWERED_BY = `
  select day, user_id as "user",
    sleep_provider || coalesce(' / ' || sleep_source, '') as sleep,
    recovery_score_kind as "recovery score",
    hrv_provider || coalesce(' / ' || hrv_source, '') || ' (' || hrv_kind || ')' as "HRV",
    resting_hr_provider || coalesce(' / ' || resting_hr_source, '') as "resting HR",
    steps_provider || coalesce(' / ' || steps_source, '') as steps,
    active_energy_provider || coalesce(' / ' || active_energy_source, '') as "active energy",
    workouts_provider || coalesce(' / ' || workouts_source, '') as workouts,
    source_count as sources
  from daily_health
  where ${USERS} and $__timeFilter(day)
  order by day desc, 2
  limit 60`;

const COMPARISON = `
  select user_id as "user",
    avg(recovery_score) filter (where day > $__timeTo()::date - 30) as "score 30d",
    avg(recovery_score) as "score 90d",
    avg(resting_hr_bpm) filter (where day > $__timeTo()::date - 30) as "resting HR 30d",
    avg(resting_hr_bpm) as "resting HR 90d",
    avg(sleep_h) filter (where day > $__timeTo()::date - 30) as "sleep h 30d",
    avg(sleep_h) as "sleep h 90d",
    avg(steps) filter (where day > $__timeTo()::date - 30) as "steps 30d",
    avg(steps) as "steps 90d"
  from daily_health
  where ${USERS} and day > $__timeTo()::date - 90 and day <= $__timeTo()::date
  group by 1
  order by 1`;

export function overviewDashboard(): Dashboard {
  const builder = newDashboard(
    'wearhouse-overview',
    'Overview',
    "Today's recovery, sleep and activity from every connected device at a glance (each measure from the preferred source), and each device's trends.",
    'now-30d',
  )
    .withVariable(providerVariable())
    .withVariable(sourceVariable())
    .withRow(new RowBuilder('Latest day (preferred source per measure)'))
    .withPanel(
      stat(
        'Recovery / readiness',
        "The latest day's 0-100 score: the provider's own recovery or readiness score, named in the series (recovery_score_kind), never an average of two providers' scores (bands 0-33 red, 34-66 yellow, 67-100 green).",
        latest('recovery_score', 'recovery_score_kind'),
        units.Percent,
      )
        .min(0)
        .max(100)
        .thresholds(RECOVERY_BANDS()),
    )
    .withPanel(
      stat(
        'HRV',
        "The latest night's heart-rate variability in ms, named by kind: RMSSD or SDNN, named in the series (hrv_kind); the two are not comparable.",
        latest('hrv_ms', 'hrv_kind'),
        units.Milliseconds,
      )
        .decimals(0)
        .thresholds(NEUTRAL()),
    )
    .withPanel(
      stat(
        'Resting heart rate',
        "The latest day's resting heart rate in beats per minute.",
        latest('resting_hr_bpm'),
        'suffix: bpm',
      )
        .decimals(0)
        .thresholds(thresholds('green', [60, 'yellow'], [75, 'red'])),
    )
    .withPanel(
      stat(
        'Sleep',
        'Hours asleep in the latest night (main sleep, naps excluded).',
        latest('sleep_h'),
        units.Hours,
      )
        .decimals(1)
        .thresholds(SLEEP_HOURS()),
    )
    .withPanel(
      stat(
        'Steps',
        "The latest day's steps (one device's count, never a sum over devices).",
        latest('steps'),
        units.Short,
      )
        .decimals(0)
        .thresholds(thresholds('red', [5000, 'yellow'], [8000, 'green'])),
    )
    .withPanel(
      stat(
        'Active energy',
        "The latest day's active energy in kcal (above resting).",
        latest('active_energy_kcal'),
        'suffix: kcal',
      )
        .decimals(0)
        .thresholds(NEUTRAL()),
    )
    .withRow(new RowBuilder('Trends'))
    .withPanel(
      timeseries(
        'Recovery / readiness (preferred source)',
        `The daily 0-100 score with its trailing 7-day mean, over the red/yellow/green bands. ${PREFERRED}`,
        RECOVERY_TREND,
        units.Percent,
      )
        .min(0)
        .max(100)
        .thresholds(RECOVERY_BANDS())
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Area),
        ),
    )
    .withPanel(
      timeseries(
        'Sleep by source',
        'Hours asleep per night as each selected device measured it ($provider, $source); a night is the local day the wearer woke up.',
        bySourceSeries('sleep_min', 60),
        units.Hours,
      )
        .decimals(1)
        .min(0)
        .thresholds(SLEEP_HOURS())
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
        )
        .span(6),
    )
    .withPanel(
      timeseries(
        'Resting heart rate by source',
        'Resting heart rate (bpm) per day as each selected device measured it.',
        bySourceSeries('resting_hr_bpm'),
        'suffix: bpm',
      )
        .decimals(0)
        .thresholds(NEUTRAL())
        .span(6),
    )
    .withPanel(
      timeseries(
        'Steps by source',
        "Steps per local day counted by each selected device (the phone and the watch count the same walks: compare, don't add).",
        bySourceSeries('steps'),
        units.Short,
      )
        .decimals(0)
        .min(0)
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(50)
        .thresholds(NEUTRAL()),
    )
    .withPanel(
      new TablePanel()
        .title('Which source answered')
        .description(
          'For each day of the range, the provider / source each measure of daily_health came from (change the order with source_preferences).',
        )
        .unit(units.Short)
        .thresholds(NEUTRAL())
        .withTarget(table(ANSWERED_BY))
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Last 30 days against the last 90')
        .description(
          'Means of the preferred figures per user over the 30 and 90 days ending at the end of the time range.',
        )
        .unit(units.Short)
        .decimals(1)
        .thresholds(NEUTRAL())
        .withTarget(table(COMPARISON))
        .span(12),
    );
  return finish(builder.build());
}
