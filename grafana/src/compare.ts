// Compare sources: "where do my devices disagree?" The same measure from each device side by side,
// each device's difference from the preferred source over time, and Bland-Altman agreement (bias
// and 95 % limits of agreement) per device and measure. Reads daily_health_by_source (one row per
// user, local day and device) against daily_health (the preferred source per measure).

import * as common from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
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
  SLEEP_HOURS,
  series,
  table,
  thresholds,
  tooltip,
  USERS,
} from './common.ts';
import { ACROSS_SOURCES, bySourceSeries, SOURCE_LABEL, SOURCES, sourceVariable } from './sources.ts';

/** Per-device rows joined to the preferred figures of the same user and day. */
const PAIRED = `
    (select * from daily_health_by_source where ${USERS} and ${SOURCES} and $__timeFilter(day)) b
    join (select * from daily_health where ${USERS} and $__timeFilter(day)) h using (user_id, day)`;

/**
 * A device's value minus the preferred source's, per day, for every device that is not itself the
 * preferred one that day. `measure` is the daily_health_by_source column, `preferred` daily_health's;
 * `group` the daily_health prefix naming the chosen provider/source.
 */
function difference(measure: string, preferred: string, group: string, scale = '1'): string {
  return `
    select $__timeGroupAlias(day, '1d'), b.user_id || ' ' || coalesce(b.source, b.provider) as metric,
      (b.${measure} - h.${preferred}) * ${scale} as value
    from ${PAIRED}
    where b.${measure} is not null and h.${preferred} is not null
      and not (b.provider = h.${group}_provider and b.source is not distinct from h.${group}_source)
    order by 1, 2`;
}

const AGREEMENT = `
  select b.user_id as "user", m.measure, coalesce(b.source, b.provider) as source,
    m.ref_provider || coalesce(' / ' || m.ref_source, '') as "against",
    count(*) as days,
    avg(m.v) as "device mean",
    avg(m.v - m.r) as bias,
    stddev_samp(m.v - m.r) as "SD of difference",
    avg(m.v - m.r) - 1.96 * stddev_samp(m.v - m.r) as "lower limit",
    avg(m.v - m.r) + 1.96 * stddev_samp(m.v - m.r) as "upper limit"
  from ${PAIRED}
  cross join lateral (values
    ('sleep (min)', b.sleep_min, h.sleep_min, h.sleep_provider, h.sleep_source),
    ('resting HR (bpm)', b.resting_hr_bpm, h.resting_hr_bpm, h.resting_hr_provider, h.resting_hr_source),
    ('HRV RMSSD (ms)', b.hrv_rmssd_ms, case when h.hrv_kind = 'RMSSD' then h.hrv_ms end, h.hrv_provider, h.hrv_source),
    ('HRV SDNN (ms)', b.hrv_sdnn_ms, case when h.hrv_kind = 'SDNN' then h.hrv_ms end, h.hrv_provider, h.hrv_source),
    ('steps', b.steps, h.steps, h.steps_provider, h.steps_source),
    ('active energy (kcal)', b.active_energy_kcal, h.active_energy_kcal, h.active_energy_provider, h.active_energy_source)
  ) m(measure, v, r, ref_provider, ref_source)
  where m.v is not null and m.r is not null
    and not (b.provider = m.ref_provider and b.source is not distinct from m.ref_source)
  group by 1, 2, 3, 4
  order by 1, 2, 3`;

// With every user selected, the months wholly in the range come from each user's stored monthly
// sums (sleep_source_months, docs/views.md) and only the days before and after them from the rows.
const FIRST_MONTH = "(date_trunc('month', $__timeFrom()::date - 1) + interval '1 month')::date";
const MONTH_AFTER = "date_trunc('month', $__timeTo()::date + 1)::date";
const STAGE_MEASURES = [
  ['sleep_min', 'asleep min'],
  ['in_bed_min', 'in bed min'],
  ['deep_min', 'deep min'],
  ['rem_min', 'REM min'],
  ['light_min', 'light min'],
  ['awake_min', 'awake min'],
  ['sleep_efficiency_pct', 'efficiency %'],
] as const;
const STAGES = `
  select user_id as "user", ${SOURCE_LABEL} as source, count(*) as nights,
    avg(sleep_min) as "asleep min", avg(in_bed_min) as "in bed min", avg(deep_min) as "deep min",
    avg(rem_min) as "REM min", avg(light_min) as "light min", avg(awake_min) as "awake min",
    avg(sleep_efficiency_pct) as "efficiency %",
    bool_or(mirror_of is not null) as "copy of another provider"
  from daily_health_by_source
  where ${USERS} and ${SOURCES} and $__timeFilter(day) and sleep_min is not null and not (${ALL_USERS})
  group by 1, 2
  union all
  select "user", source, sum(nights)::bigint,
    ${STAGE_MEASURES.map(([m]) => `sum(${m}_sum) / nullif(sum(${m}_n), 0)`).join(',\n    ')},
    bool_or(mirrored)
  from (
    select user_id as "user", label as source, nights,
      ${STAGE_MEASURES.map(([m]) => `${m}_sum, ${m}_n`).join(', ')}, mirrored
    from sleep_source_months
    where ${ACROSS_SOURCES} and ${ALL_USERS} and month >= ${FIRST_MONTH} and month < ${MONTH_AFTER}
    union all
    select user_id, ${SOURCE_LABEL}, count(*),
      ${STAGE_MEASURES.map(([m]) => `sum(${m}), count(${m})`).join(', ')}, bool_or(mirror_of is not null)
    from daily_health_by_source
    where ${SOURCES} and ${ALL_USERS} and sleep_min is not null
      and ((day >= $__timeFrom()::date and day < ${FIRST_MONTH})
        or (day >= ${MONTH_AFTER} and day <= $__timeTo()::date))
    group by 1, 2
  ) m
  group by 1, 2
  order by 1, 2`;

// One series per user, source and kind; with more than one user selected, per source and kind the
// mean over the selected users' rows (from the stored sums with every user; docs/dashboards.md).
const HRV = `
  select $__timeGroupAlias(day, '1d'), user_id || ' ' || ${SOURCE_LABEL} || ' ' || kind as metric, value
  from daily_health_by_source
  cross join lateral (values ('RMSSD', hrv_rmssd_ms), ('SDNN', hrv_sdnn_ms)) k(kind, value)
  where ${USERS} and ${SOURCES} and $__timeFilter(day) and value is not null and ${ONE_USER}
  union all
  select time, '${MEAN_OF_USERS} ' || label || ' ' || kind, value
  from (
    select $__timeGroupAlias(day, '1d'), ${SOURCE_LABEL} as label,
      avg(hrv_rmssd_ms) as rmssd, avg(hrv_sdnn_ms) as sdnn
    from daily_health_by_source
    where ${USERS} and ${SOURCES} and $__timeFilter(day) and ${MANY_USERS} and not (${ALL_USERS})
    group by 1, 2
    union all
    select $__timeGroupAlias(day, '1d'), label,
      sum(hrv_rmssd_ms_sum) / nullif(sum(hrv_rmssd_ms_n), 0), sum(hrv_sdnn_ms_sum) / nullif(sum(hrv_sdnn_ms_n), 0)
    from daily_health_by_source_across_users
    where ${ACROSS_SOURCES} and $__timeFilter(day) and ${ALL_USERS}
    group by 1, 2
  ) m
  cross join lateral (values ('RMSSD', rmssd), ('SDNN', sdnn)) k(kind, value)
  where value is not null
  order by 1, 2`;

function sideBySide(title: string, description: string, sql: string, unit: string) {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .unit(unit)
    .withTarget(series(sql))
    .legend(legend('mean', 'min', 'max'))
    .tooltip(tooltip())
    .span(12);
}

function differencePanel(title: string, description: string, sql: string, unit: string) {
  return new TimeseriesPanel()
    .title(title)
    .description(
      `${description} Zero is agreement; the Agreement table gives each device's bias and 95 % limits.`,
    )
    .unit(unit)
    .withTarget(series(sql))
    .thresholds(thresholds('green'))
    .axisCenteredZero(true)
    .drawStyle(common.GraphDrawStyle.Points)
    .pointSize(6)
    .legend(legend('mean', 'min', 'max'))
    .tooltip(tooltip())
    .span(12);
}

export function compareDashboard(): Dashboard {
  const builder = newDashboard(
    'wearhouse-compare',
    'Compare sources',
    'The same measure from each device side by side, how far each is from the preferred source day by day, and Bland-Altman agreement.',
    'now-90d',
  )
    .withVariable(providerVariable())
    .withVariable(sourceVariable())
    .withRow(new RowBuilder('Sleep'))
    .withPanel(
      sideBySide(
        'Hours asleep by source',
        'Hours asleep per night (main sleep) from each selected device; a night belongs to the local day the wearer woke up.',
        bySourceSeries('sleep_min', 60),
        units.Hours,
      )
        .decimals(1)
        .min(0)
        .thresholds(SLEEP_HOURS()),
    )
    .withPanel(
      differencePanel(
        'Sleep: difference from the preferred source',
        "Each device's minutes asleep minus the preferred source's, per night.",
        difference('sleep_min', 'sleep_min', 'sleep'),
        units.Minutes,
      ),
    )
    .withPanel(
      new TablePanel()
        .title('Sleep stages by source')
        .description(
          'Mean minutes per night in each stage, and efficiency (asleep / in bed, %), per device over the range. "copy of another provider" marks sources another provider wrote (into HealthKit, for example).',
        )
        .unit(units.Short)
        .decimals(1)
        .thresholds(NEUTRAL())
        .withTarget(table(STAGES))
        .span(12),
    )
    .withRow(new RowBuilder('Heart'))
    .withPanel(
      sideBySide(
        'Resting heart rate by source',
        'Resting heart rate (bpm) per day from each selected device.',
        bySourceSeries('resting_hr_bpm'),
        'suffix: bpm',
      )
        .decimals(0)
        .thresholds(NEUTRAL()),
    )
    .withPanel(
      differencePanel(
        'Resting heart rate: difference from the preferred source',
        "Each device's resting heart rate minus the preferred source's, in bpm.",
        difference('resting_hr_bpm', 'resting_hr_bpm', 'resting_hr'),
        'suffix: bpm',
      ),
    )
    .withPanel(
      sideBySide(
        'HRV by source and kind',
        'Overnight heart-rate variability in ms: RMSSD and SDNN as separate series, since they measure different things.',
        HRV,
        units.Milliseconds,
      )
        .decimals(0)
        .thresholds(NEUTRAL()),
    )
    .withPanel(
      sideBySide(
        'Recovery and readiness by source',
        "Each provider's own 0-100 recovery or readiness score side by side; different scores, never averaged.",
        bySourceSeries('recovery_score'),
        units.Percent,
      )
        .min(0)
        .max(100)
        .thresholds(thresholds('red', [34, 'yellow'], [67, 'green'])),
    )
    .withRow(new RowBuilder('Activity'))
    .withPanel(
      sideBySide(
        'Steps by source',
        'Steps per local day from each selected device (a phone and a watch count the same walks).',
        bySourceSeries('steps'),
        units.Short,
      )
        .decimals(0)
        .min(0)
        .thresholds(NEUTRAL()),
    )
    .withPanel(
      differencePanel(
        'Steps: difference from the preferred source',
        "Each device's steps minus the preferred source's, per day.",
        difference('steps', 'steps', 'steps'),
        units.Short,
      ),
    )
    .withRow(new RowBuilder('Agreement'))
    .withPanel(
      new TablePanel()
        .title('Agreement with the preferred source (Bland-Altman)')
        .description(
          'Per device and measure, over the days both measured: bias (mean of device minus preferred), the SD of the difference and the 95 % limits of agreement (bias ± 1.96 SD). HRV is compared only within one kind.',
        )
        .unit(units.Short)
        .decimals(1)
        .thresholds(NEUTRAL())
        .withTarget(table(AGREEMENT))
        .span(12),
    );
  return finish(builder.build());
}
