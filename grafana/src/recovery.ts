// Recovery: "how ready was my body each day, and what drives it?" Recovery score in WHOOP's bands,
// HRV against its 7- and 30-day rolling means, resting heart rate, SpO2 and skin temperature.
import { PanelBuilder as BarchartPanel } from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, FieldColorModeId, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  ALL_USERS,
  acrossUserDailyMean,
  BY_USER,
  connectedProviderVariable,
  dailySummarySeries,
  finish,
  legend,
  MEAN_OF_USERS,
  NEUTRAL,
  newDashboard,
  ONE_USER,
  PROVIDERS,
  RECOVERY_BANDS,
  reduce,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';

const RECOVERY = dailySummarySeries('recovery_pct');

// With every user selected, the months wholly in the range come from each user's stored monthly
// counts (recovery_band_months, docs/views.md) and only the days before and after them from
// recoveries_stored; with one or some users, from recoveries_stored.
const FIRST_MONTH = "(date_trunc('month', $__timeFrom()::date - 1) + interval '1 month')::date";
const MONTH_AFTER = "date_trunc('month', $__timeTo()::date + 1)::date";
const BANDS = `
  select "user", sum(red)::bigint as "red (0-33)", sum(yellow)::bigint as "yellow (34-66)",
    sum(green)::bigint as "green (67-100)"
  from (
    select user_id as "user",
      count(*) filter (where band = 'red') as red,
      count(*) filter (where band = 'yellow') as yellow,
      count(*) filter (where band = 'green') as green
    from recoveries_stored
    where ${USERS} and ${PROVIDERS} and $__timeFilter(day) and band is not null and not (${ALL_USERS})
    group by 1
    union all
    select user_id, red, yellow, green
    from recovery_band_months
    where ${PROVIDERS} and ${ALL_USERS} and month >= ${FIRST_MONTH} and month < ${MONTH_AFTER}
    union all
    select user_id,
      count(*) filter (where band = 'red'), count(*) filter (where band = 'yellow'),
      count(*) filter (where band = 'green')
    from recoveries_stored
    where ${PROVIDERS} and ${ALL_USERS} and band is not null
      and ((day >= $__timeFrom()::date and day < ${FIRST_MONTH})
        or (day >= ${MONTH_AFTER} and day <= $__timeTo()::date))
    group by 1
  ) b
  group by 1
  order by 1`;

/**
 * A daily recovery measure with trailing rolling means. The window reaches 29 days before the
 * range so that the first days of the range have a full 30-day mean.
 */
function rolling(column: string, label: string, windows: number[]): string {
  const widest = Math.max(...windows) - 1;
  const over = (value: string, partition: string) =>
    windows
      .map(
        (days) => `avg(${value}) over (${partition}order by day
                  range between interval '${days - 1} days' preceding and current row) as "${days}-day mean"`,
      )
      .join(',\n        ');
  const outer = windows.map((days) => `"${days}-day mean"`).join(', ');
  const extended = `day between $__timeFrom()::date - ${widest} and $__timeTo()::date`;
  // One user: that user's values. More: the across-user daily mean, and its rolling means.
  return `
    with d as (
      select day, user_id, ${column} as value,
        ${over(column, 'partition by user_id ')}
      from daily_summary
      where ${USERS} and ${PROVIDERS} and ${extended} and ${ONE_USER}
    ), m as (
      select day, value,
        ${over('value', '')}
      from (${acrossUserDailyMean(column, extended, 'day')}) a
    )
    select $__timeGroupAlias(day, '1d'), user_id, value as "${label}", ${outer}
    from d
    where $__timeFilter(day)
    union all
    select $__timeGroupAlias(day, '1d'), '${MEAN_OF_USERS}', value, ${outer}
    from m
    where $__timeFilter(day)
    order by 1, 2`;
}

function timeseries(title: string, description: string, unit: string) {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .legend(legend('mean', 'min', 'max', 'lastNotNull'))
    .tooltip(tooltip())
    .displayName(BY_USER)
    .span(12);
}

export function recoveryDashboard(): Dashboard {
  const builder = newDashboard(
    'wearhouse-recovery',
    'Recovery',
    'How ready the body was each day (WHOOP recovery) and the measures behind it: HRV, resting heart rate, SpO2, skin temperature.',
    'now-90d',
  )
    .withVariable(connectedProviderVariable())
    .withRow(new RowBuilder('Recovery'))
    .withPanel(
      new TimeseriesPanel()
        .title('Recovery score')
        .description('Daily recovery (%) over WHOOP bands: 0-33 red, 34-66 yellow, 67-100 green.')
        .unit(units.Percent)
        .min(0)
        .max(100)
        .thresholds(RECOVERY_BANDS())
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Area),
        )
        .showPoints(common.VisibilityMode.Always)
        .legend(legend('mean', 'lastNotNull'))
        .tooltip(tooltip())
        .withTarget(series(RECOVERY))
        .span(16),
    )
    .withPanel(
      new StatPanel()
        .title('Mean recovery')
        .description('Mean recovery over the time range, coloured by WHOOP band.')
        .unit(units.Percent)
        .decimals(0)
        .min(0)
        .max(100)
        .thresholds(RECOVERY_BANDS())
        .withTarget(series(RECOVERY))
        .reduceOptions(reduce('mean'))
        .colorMode(common.BigValueColorMode.Background)
        .span(8),
    )
    .withPanel(
      new BarchartPanel()
        .title('Days per recovery band')
        .description('How many days fell in each WHOOP recovery band over the time range.')
        .unit(units.Short)
        .decimals(0)
        .thresholds(NEUTRAL())
        .xField('user')
        .stacking(common.StackingMode.Normal)
        .orientation(common.VizOrientation.Horizontal)
        .showValue(common.VisibilityMode.Auto)
        .legend(legend())
        .tooltip(tooltip())
        .withTarget(table(BANDS))
        .overrideByName('red (0-33)', [
          { id: 'color', value: { mode: FieldColorModeId.Fixed, fixedColor: 'red' } },
        ])
        .overrideByName('yellow (34-66)', [
          { id: 'color', value: { mode: FieldColorModeId.Fixed, fixedColor: 'yellow' } },
        ])
        .overrideByName('green (67-100)', [
          { id: 'color', value: { mode: FieldColorModeId.Fixed, fixedColor: 'green' } },
        ])
        .height(6)
        .span(24),
    )
    .withRow(new RowBuilder('Physiology'))
    .withPanel(
      timeseries(
        'HRV with 7- and 30-day rolling means',
        'Nightly HRV (RMSSD) and its trailing 7- and 30-day means.',
        units.Milliseconds,
      )
        .decimals(0)
        .thresholds(NEUTRAL())
        .withTarget(series(rolling('hrv_ms', 'HRV', [7, 30]))),
    )
    .withPanel(
      timeseries('Resting heart rate', 'Resting heart rate each night and its 30-day mean.', 'suffix: bpm')
        .decimals(0)
        .thresholds(NEUTRAL())
        .withTarget(series(rolling('resting_hr_bpm', 'resting HR', [30]))),
    )
    .withPanel(
      timeseries(
        'SpO2',
        'Blood oxygen saturation during sleep (WHOOP 4.0 and later). Below 95% is flagged.',
        units.Percent,
      )
        .decimals(1)
        .thresholds(thresholds('red', [90, 'orange'], [95, 'green']))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
        )
        .withTarget(series(rolling('spo2_pct', 'SpO2', [30]))),
    )
    .withPanel(
      timeseries(
        'Skin temperature',
        'Skin temperature during sleep and its 30-day mean (WHOOP 4.0 and later).',
        units.Celsius,
      )
        .decimals(2)
        .thresholds(NEUTRAL())
        .withTarget(series(rolling('skin_temp_c', 'skin temperature', [30]))),
    );
  return finish(builder.build());
}
