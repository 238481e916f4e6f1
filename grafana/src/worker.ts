// Worker health from Prometheus: "are the workers up and keeping up, what is failing, and how hard
// are we pushing the provider?" Temporal's own worker metrics (slots, schedule-to-start and
// execution latency, failures) next to the project's (worker/metrics.ts): records stored, provider
// requests and latency, throttle wait, token refreshes. Metrics carry no user: per-user questions
// are the pipeline-health dashboard's (Postgres).
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  type DataSourceRef,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { DATASOURCE, finish, legend, NEUTRAL, reduce, table, thresholds, tooltip } from './common.ts';

/** Must equal the Prometheus uid in grafana/provisioning/datasources/wearhouse.yml (test/compose.test.ts). */
export const PROMETHEUS_UID = 'wearhouse-prometheus';
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: PROMETHEUS_UID };
/** The scrape job of prometheus/prometheus.yml. */
const JOB = 'wearhouse-worker';
/** Each provider's budget, as the worker is configured (the `providers` table in Postgres). */
const BUDGETS = `
  select display_name as "provider", requests_per_minute as "per minute", requests_per_day as "per day"
  from providers
  order by 1`;
const RATE = '$__rate_interval';

function promql(expr: string, legendFormat: string, refId = 'A') {
  return new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(expr)
    .legendFormat(legendFormat)
    .range()
    .refId(refId);
}

function p50p95(metric: string, by: string) {
  const quantile = (q: number) =>
    `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket[${RATE}])))`;
  const label = by ? `{{${by}}} ` : '';
  return [promql(quantile(0.5), `${label}p50`, 'A'), promql(quantile(0.95), `${label}p95`, 'B')];
}

function timeseries(
  title: string,
  description: string,
  unit: string,
  targets: prometheus.DataqueryBuilder[],
) {
  const panel = new TimeseriesPanel()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .min(0)
    .thresholds(NEUTRAL())
    .legend(legend('mean', 'max'))
    .tooltip(tooltip())
    .span(12);
  for (const target of targets) panel.withTarget(target);
  return panel;
}

function stat(
  title: string,
  description: string,
  unit: string,
  expr: string,
  steps: ReturnType<typeof thresholds>,
) {
  return new StatPanel()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .thresholds(steps)
    .withTarget(promql(expr, title).instant())
    .reduceOptions(reduce('lastNotNull'))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .height(5)
    .span(6);
}

export function workerDashboard(): Dashboard {
  const builder = new DashboardBuilder('Worker')
    .uid('wearhouse-worker')
    .description(
      "Are the workers up and keeping up, what is failing, and how hard are we pushing the provider? From the workers' Prometheus metrics. For operators.",
    )
    .tags(['wearhouse'])
    .timezone('utc')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .link(
      new DashboardLinkBuilder('wearhouse')
        .type(DashboardLinkType.Dashboards)
        .tags(['wearhouse'])
        .icon('external link')
        .tooltip('Other wearhouse dashboards')
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true)
        .targetBlank(false),
    )
    .withRow(new RowBuilder('Workers'))
    .withPanel(
      stat(
        'Workers up',
        'Worker processes Prometheus scraped successfully just now. 0 fires the "Worker down" alert.',
        units.Short,
        `sum(up{job="${JOB}"}) or vector(0)`,
        thresholds('red', [1, 'green']),
      ),
    )
    .withPanel(
      stat(
        'Free activity slots',
        'Activity task slots free across workers. At 0, new windows wait in the task queue (see schedule-to-start latency).',
        units.Short,
        'sum(temporal_worker_task_slots_available{worker_type="ActivityWorker"})',
        thresholds('red', [1, 'orange'], [4, 'green']),
      ),
    )
    .withPanel(
      stat(
        'Provider requests / min',
        'Requests to the providers in the last 5 minutes, all workers (each budget is per app: see Provider budgets).',
        units.RequestsPerMinute,
        'sum(rate(wearhouse_provider_requests_total[5m])) * 60',
        NEUTRAL(),
      ),
    )
    .withPanel(
      stat(
        'Failed sync attempts',
        'Sync activity attempts that failed in the time range (retried by Temporal unless the class is final).',
        units.Short,
        'sum(increase(wearhouse_sync_failures_total[$__range]))',
        thresholds('green', [1, 'orange'], [50, 'red']),
      ),
    )
    .withPanel(
      timeseries(
        'Activity slots',
        'Activity task slots in use and free, all workers. Used at the maximum for long means the workers are the bottleneck.',
        units.Short,
        [
          promql('sum(temporal_worker_task_slots_used{worker_type="ActivityWorker"})', 'used', 'A'),
          promql('sum(temporal_worker_task_slots_available{worker_type="ActivityWorker"})', 'free', 'B'),
        ],
      ),
    )
    .withPanel(
      timeseries(
        'Activity schedule-to-start latency',
        'How long activities waited in the task queue for a worker. Growing: too few workers or slots, or workers down.',
        units.Milliseconds,
        p50p95('temporal_activity_schedule_to_start_latency', ''),
      ),
    )
    .withPanel(
      timeseries(
        'Activity execution latency',
        'How long one attempt of each activity type ran. A syncWindow attempt includes its throttle waits.',
        units.Milliseconds,
        p50p95('temporal_activity_execution_latency', 'activity_type'),
      ),
    )
    .withPanel(
      timeseries(
        'Failures',
        'Failed activity attempts per activity type, and failed workflows per workflow type, per minute.',
        units.Short,
        [
          promql(
            `sum by (activity_type) (rate(temporal_activity_execution_failed_total[${RATE}])) * 60`,
            'activity {{activity_type}}',
            'A',
          ),
          promql(
            `sum by (workflow_type) (rate(temporal_workflow_failed_total[${RATE}])) * 60`,
            'workflow {{workflow_type}}',
            'B',
          ),
        ],
      ).thresholds(thresholds('orange')),
    )
    .withRow(new RowBuilder('Pipeline'))
    .withPanel(
      timeseries(
        'Records stored by outcome',
        'Records written per minute: inserted, updated, unchanged, quarantined (failed validation), deleted (vanished at the provider).',
        units.Short,
        [promql(`sum by (outcome) (rate(wearhouse_records_stored_total[${RATE}])) * 60`, '{{outcome}}')],
      )
        .drawStyle(common.GraphDrawStyle.Bars)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      timeseries(
        'Provider requests by status',
        "Requests per minute by provider and HTTP status (0: no response), all workers; each provider's budget is in Provider budgets.",
        units.RequestsPerMinute,
        [
          promql(
            `sum by (provider, status) (rate(wearhouse_provider_requests_total[${RATE}])) * 60`,
            '{{provider}} {{status}}',
          ),
        ],
      ).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      new TablePanel()
        .title('Provider budgets')
        .description(
          "Each provider's app-wide request budget, as the workers are configured (from Postgres: the providers table).",
        )
        .datasource(DATASOURCE)
        .unit(units.RequestsPerMinute)
        .thresholds(NEUTRAL())
        .withTarget(table(BUDGETS))
        .overrideByName('per day', [{ id: 'unit', value: units.Short }])
        .span(12),
    )
    .withPanel(
      timeseries(
        'Provider latency',
        'Provider request latency per endpoint, from sending the request to reading the body.',
        units.Milliseconds,
        p50p95('wearhouse_provider_request_latency', 'endpoint'),
      ),
    )
    .withPanel(
      timeseries(
        'Waiting for the request budget',
        'Sync activities waiting for a slot in the shared budget, on average (milliseconds waited per second / 1000). Near the number of running windows: the budget, not the provider, sets the pace.',
        units.Short,
        [promql(`sum by (provider) (rate(wearhouse_throttle_wait_total[${RATE}])) / 1000`, '{{provider}}')],
      ),
    )
    .withPanel(
      timeseries(
        'Sync failures by class',
        'Failed sync attempts by error class: RateLimited and ProviderUnavailable are retried; ReauthRequired, ProviderClientError and InvalidInput are not.',
        units.Short,
        [
          promql(
            `sum by (error_class) (increase(wearhouse_sync_failures_total[${RATE}]))`,
            '{{error_class}}',
          ),
        ],
      )
        .thresholds(thresholds('orange'))
        .drawStyle(common.GraphDrawStyle.Bars)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      timeseries(
        'Token refreshes',
        'Access-token refreshes by outcome: refreshed, reused (another worker had just refreshed), rejected (reauth required), failed (transient).',
        units.Short,
        [promql(`sum by (outcome) (increase(wearhouse_token_refreshes_total[${RATE}]))`, '{{outcome}}')],
      ).drawStyle(common.GraphDrawStyle.Bars),
    );
  return finish(builder.build());
}
