// Overview: "how am I doing today, and which way is it trending?" The latest day's recovery, HRV,
// resting HR, sleep and strain, then 30- and 90-day trends and a 30-vs-90-day comparison.
import * as common from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as GaugePanel } from '@grafana/grafana-foundation-sdk/gauge';
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
  RECOVERY_BANDS,
  reduce,
  SLEEP_HOURS,
  STRAIN_ZONES,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';

/** One daily_summary column per user, as a series named after the user; the stat shows its last value. */
function latest(column: string): string {
  return `
    select $__timeGroupAlias(day, '1d'), user_id as metric, ${column} as value
    from daily_summary
    where ${USERS} and $__timeFilter(day) and ${column} is not null
    order by 1, 2`;
}

function stat(title: string, description: string, column: string, unit: string) {
  return new StatPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .withTarget(series(latest(column)))
    .reduceOptions(reduce('lastNotNull'))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Background)
    .textMode(common.BigValueTextMode.ValueAndName)
    .height(5)
    .span(4);
}

function gauge(title: string, description: string, column: string, unit: string, max: number) {
  return new GaugePanel()
    .title(title)
    .description(description)
    .unit(unit)
    .min(0)
    .max(max)
    .withTarget(series(latest(column)))
    .reduceOptions(reduce('lastNotNull'))
    .showThresholdMarkers(true)
    .height(5)
    .span(4);
}

/** A daily series per user with its trailing 7-day mean, computed over extra days before the range. */
function trend(column: string, label: string): string {
  return `
    with d as (
      select day, user_id, ${column} as value,
        avg(${column}) over (partition by user_id order by day
                             range between interval '6 days' preceding and current row) as mean_7d
      from daily_summary
      where ${USERS} and day between $__timeFrom()::date - 6 and $__timeTo()::date
    )
    select $__timeGroupAlias(day, '1d'), user_id, value as "${label}", mean_7d as "7-day mean"
    from d
    where $__timeFilter(day)
    order by 1, 2`;
}

const COMPARISON = `
  select user_id as "user",
    avg(recovery_pct) filter (where day > $__timeTo()::date - 30) as "recovery 30d",
    avg(recovery_pct) as "recovery 90d",
    avg(hrv_ms) filter (where day > $__timeTo()::date - 30) as "HRV 30d",
    avg(hrv_ms) as "HRV 90d",
    avg(resting_hr_bpm) filter (where day > $__timeTo()::date - 30) as "resting HR 30d",
    avg(resting_hr_bpm) as "resting HR 90d",
    avg(sleep_h) filter (where day > $__timeTo()::date - 30) as "sleep 30d",
    avg(sleep_h) as "sleep 90d",
    avg(day_strain) filter (where day > $__timeTo()::date - 30) as "strain 30d",
    avg(day_strain) as "strain 90d"
  from daily_summary
  where ${USERS} and day > $__timeTo()::date - 90 and day <= $__timeTo()::date
  group by 1
  order by 1`;

export function overviewDashboard(): Dashboard {
  const builder = newDashboard(
    'wearhouse-overview',
    'Overview',
    "Today's recovery, sleep and strain at a glance, and how they trend over 30 and 90 days.",
    'now-30d',
  )
    .withRow(new RowBuilder('Latest day'))
    .withPanel(
      stat(
        'Recovery',
        "The latest day's recovery score (0-33 red, 34-66 yellow, 67-100 green).",
        'recovery_pct',
        units.Percent,
      )
        .min(0)
        .max(100)
        .thresholds(RECOVERY_BANDS()),
    )
    .withPanel(
      stat('HRV', "The latest night's heart-rate variability (RMSSD).", 'hrv_ms', units.Milliseconds)
        .decimals(0)
        .thresholds(NEUTRAL()),
    )
    .withPanel(
      stat('Resting heart rate', "The latest night's resting heart rate.", 'resting_hr_bpm', 'suffix: bpm')
        .decimals(0)
        .thresholds(NEUTRAL()),
    )
    .withPanel(
      stat('Sleep', 'Hours asleep in the latest main sleep (naps excluded).', 'sleep_h', units.Hours)
        .decimals(1)
        .thresholds(SLEEP_HOURS()),
    )
    .withPanel(
      gauge(
        'Sleep performance',
        'Hours asleep as a share of the sleep needed.',
        'sleep_performance_pct',
        units.Percent,
        100,
      ).thresholds(thresholds('red', [70, 'yellow'], [85, 'green'])),
    )
    .withPanel(
      gauge('Day strain', "The latest full day's strain (0-21).", 'day_strain', units.Short, 21)
        .decimals(1)
        .thresholds(STRAIN_ZONES()),
    )
    .withRow(new RowBuilder('Trends'))
    .withPanel(
      new TimeseriesPanel()
        .title('Recovery, last 90 days')
        .description(
          'Daily recovery with its trailing 7-day mean, over the recovery bands (red below 34, green from 67).',
        )
        .timeFrom('90d')
        .unit(units.Percent)
        .min(0)
        .max(100)
        .thresholds(RECOVERY_BANDS())
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Area),
        )
        .displayName(BY_USER)
        .withTarget(series(trend('recovery_pct', 'recovery')))
        .legend(legend('mean', 'lastNotNull'))
        .tooltip(tooltip())
        .span(12),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('Sleep, last 30 days')
        .description('Hours asleep per night (main sleep) with the trailing 7-day mean.')
        .timeFrom('30d')
        .unit(units.Hours)
        .decimals(1)
        .min(0)
        .thresholds(SLEEP_HOURS())
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
        )
        .displayName(BY_USER)
        .withTarget(series(trend('sleep_h', 'asleep')))
        .legend(legend('mean', 'min'))
        .tooltip(tooltip())
        .span(12),
    )
    .withPanel(
      new TimeseriesPanel()
        .title('Day strain, last 30 days')
        .description('Strain of each physiological day (0-21) with the trailing 7-day mean.')
        .timeFrom('30d')
        .unit(units.Short)
        .decimals(1)
        .min(0)
        .max(21)
        .thresholds(STRAIN_ZONES())
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .displayName(BY_USER)
        .withTarget(series(trend('day_strain', 'strain')))
        .legend(legend('mean', 'max'))
        .tooltip(tooltip())
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Last 30 days against the last 90')
        .description('Means per user over the 30 and 90 days ending at the end of the time range.')
        .unit(units.Short)
        .decimals(1)
        .thresholds(NEUTRAL())
        .withTarget(table(COMPARISON))
        .span(12),
    );
  return finish(builder.build());
}
