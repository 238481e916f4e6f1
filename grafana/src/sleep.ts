// Sleep: "how long and how well did I sleep, and how regular is it?" Stages per night, hours asleep
// against need, performance/efficiency/consistency, respiratory rate, bed and wake times, naps.
import * as common from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  acrossUserMeans,
  BY_USER,
  connectedProviderVariable,
  dailySummarySeries,
  finish,
  GOOD_PCT,
  legend,
  NEUTRAL,
  newDashboard,
  PROVIDERS,
  perUserOrMean,
  reduce,
  SLEEP_HOURS,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';

/**
 * With every user selected, the nightly panels read the stored per-night sums over users
 * (sleep_nights_across_users, docs/views.md "Across-user daily rows") rather than every user's
 * nights: the same per-day mean of the users' own values.
 */
function nightsOfAll(measures: [string, string][], having: string): string {
  return acrossUserMeans('sleep_nights_across_users', measures, having);
}

// One row per user and wake day: a night WHOOP split in two adds up; naps are excluded.
const STAGES = `
  select $__timeGroupAlias(day, '1d'),
    sum(deep_h) as "deep (slow wave)", sum(rem_h) as "REM", sum(light_h) as "light", sum(awake_h) as "awake"
  from sleeps_stored
  where ${USERS} and ${PROVIDERS} and not is_nap and $__timeFilter(day)
  group by 1
  order by 1`;

const NEED = perUserOrMean(
  `
  select $__timeGroupAlias(day, '1d'), user_id, sum(asleep_h) as "asleep", max(need_h) as "needed"
  from sleeps_stored
  where ${USERS} and ${PROVIDERS} and not is_nap and $__timeFilter(day)
  group by 1, 2`,
  'user_id',
  ['"asleep"', '"needed"'],
  nightsOfAll(
    [
      ['"asleep"', 'asleep_h'],
      ['"needed"', 'need_h'],
    ],
    'sum(users) > 0',
  ),
);

const QUALITY = perUserOrMean(
  `
  select $__timeGroupAlias(day, '1d'), user_id,
    avg(performance_pct) as "performance", avg(efficiency_pct) as "efficiency",
    avg(consistency_pct) as "consistency"
  from sleeps_stored
  where ${USERS} and ${PROVIDERS} and not is_nap and $__timeFilter(day)
  group by 1, 2`,
  'user_id',
  ['"performance"', '"efficiency"', '"consistency"'],
  nightsOfAll(
    [
      ['"performance"', 'performance_pct'],
      ['"efficiency"', 'efficiency_pct'],
      ['"consistency"', 'consistency_pct'],
    ],
    'sum(users) > 0',
  ),
);

const RESPIRATORY = perUserOrMean(
  `
  select $__timeGroupAlias(day, '1d'), user_id as metric, avg(respiratory_rate_bpm) as value
  from sleeps_stored
  where ${USERS} and ${PROVIDERS} and not is_nap and $__timeFilter(day) and respiratory_rate_bpm is not null
  group by 1, 2`,
  'metric',
  ['value'],
  nightsOfAll([['value', 'respiratory_rate_bpm']], 'sum(respiratory_rate_bpm_n) > 0'),
);

// Hours from local midnight of the wake day: -1.5 is 22:30 the evening before, 7.25 is 07:15.
const BED_AND_WAKE = perUserOrMean(
  `
  select $__timeGroupAlias(day, '1d'), user_id,
    extract(epoch from min(start_local) - day::timestamp) / 3600 as "bedtime",
    extract(epoch from max(end_local) - day::timestamp) / 3600 as "wake time"
  from sleeps_stored
  where ${USERS} and ${PROVIDERS} and not is_nap and $__timeFilter(day)
  group by 1, 2, day`,
  'user_id',
  ['"bedtime"', '"wake time"'],
  nightsOfAll(
    [
      ['"bedtime"', 'bedtime_h'],
      ['"wake time"', 'wake_h'],
    ],
    'sum(users) > 0',
  ),
);

const NAPS = `
  select day, user_id as "user", start_local as "start (local)", asleep_h * 60 as "asleep",
    in_bed_h * 60 as "in bed", efficiency_pct as "efficiency", score_state as "score state"
  from sleeps_stored
  where ${USERS} and ${PROVIDERS} and is_nap and $__timeFilter(start_at)
  order by start_at desc
  limit 500`;

// A night's hours asleep are daily_summary's sleep_h (naps excluded, a split night added up).
const MEAN_ASLEEP = dailySummarySeries('sleep_h');

const DEBT = perUserOrMean(
  `
  select $__timeGroupAlias(day, '1d'), user_id as metric, max(debt_h) as value
  from sleeps_stored
  where ${USERS} and ${PROVIDERS} and not is_nap and $__timeFilter(day) and debt_h is not null
  group by 1, 2`,
  'metric',
  ['value'],
  nightsOfAll([['value', 'debt_h']], 'sum(debt_h_n) > 0'),
);

function timeseries(title: string, description: string, unit: string) {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .legend(legend('mean', 'min', 'max'))
    .tooltip(tooltip())
    .span(12);
}

export function sleepDashboard(): Dashboard {
  const builder = newDashboard(
    'wearhouse-sleep',
    'Sleep',
    'How long and how well each night went: stages, need, performance, regularity and naps.',
    'now-90d',
  )
    .withVariable(connectedProviderVariable())
    .withRow(new RowBuilder('Summary'))
    .withPanel(
      new StatPanel()
        .title('Mean hours asleep')
        .description('Mean hours asleep per night over the time range (main sleep, naps excluded).')
        .unit(units.Hours)
        .decimals(1)
        .thresholds(SLEEP_HOURS())
        .withTarget(series(MEAN_ASLEEP))
        .reduceOptions(reduce('mean'))
        .colorMode(common.BigValueColorMode.Value)
        .height(5)
        .span(12),
    )
    .withPanel(
      new StatPanel()
        .title('Sleep debt')
        .description("The sleep debt WHOOP added to the latest night's need (hours).")
        .unit(units.Hours)
        .decimals(1)
        .thresholds(thresholds('green', [0.75, 'yellow'], [1.5, 'red']))
        .withTarget(series(DEBT))
        .reduceOptions(reduce('lastNotNull'))
        .colorMode(common.BigValueColorMode.Value)
        .height(5)
        .span(12),
    )
    .withRow(new RowBuilder('Nights'))
    .withPanel(
      timeseries(
        'Sleep stages: $user',
        'Hours per stage each night (stacked), one panel per user.',
        units.Hours,
      )
        .repeat('user')
        .repeatDirection('h')
        .maxPerRow(2)
        .decimals(1)
        .min(0)
        .thresholds(NEUTRAL())
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(80)
        .lineWidth(0)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('stages'))
        .withTarget(series(STAGES))
        .span(24),
    )
    .withPanel(
      timeseries(
        'Hours asleep against sleep needed',
        "Hours asleep each night and WHOOP's sleep need.",
        units.Hours,
      )
        .decimals(1)
        .min(0)
        .thresholds(SLEEP_HOURS())
        .displayName(BY_USER)
        .withTarget(series(NEED)),
    )
    .withPanel(
      timeseries(
        'Performance, efficiency, consistency',
        'Performance: asleep / needed. Efficiency: asleep / in bed. Consistency: similarity of sleep and wake times to the previous days.',
        units.Percent,
      )
        .min(0)
        .max(100)
        .thresholds(GOOD_PCT())
        .displayName(BY_USER)
        .withTarget(series(QUALITY)),
    )
    .withPanel(
      timeseries('Respiratory rate', 'Breaths per minute during the main sleep.', 'suffix: br/min')
        .decimals(1)
        .thresholds(NEUTRAL())
        .withTarget(series(RESPIRATORY)),
    )
    .withPanel(
      timeseries(
        'Bed and wake times',
        'Hours from local midnight of the wake day: -1.5 is 22:30 the evening before, 7.25 is 07:15.',
        units.Hours,
      )
        .decimals(2)
        .thresholds(NEUTRAL())
        .showPoints(common.VisibilityMode.Always)
        .displayName(BY_USER)
        .withTarget(series(BED_AND_WAKE)),
    )
    .withRow(new RowBuilder('Naps'))
    .withPanel(
      new TablePanel()
        .title('Naps')
        .description('Every nap in the time range, newest first (minutes).')
        .unit(units.Minutes)
        .decimals(0)
        .thresholds(NEUTRAL())
        .withTarget(table(NAPS))
        .overrideByName('day', [{ id: 'unit', value: 'string' }])
        .overrideByName('start (local)', [{ id: 'unit', value: units.DatetimeISO }])
        .overrideByName('efficiency', [
          { id: 'unit', value: units.Percent },
          { id: 'thresholds', value: GOOD_PCT().build() },
        ])
        .span(24),
    );
  return finish(builder.build());
}
