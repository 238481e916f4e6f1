// The pipeline dashboard's budget-plan panel: per provider, the planned sync interval and whether
// today's day budget lasts (docs/architecture.md, "The budget plan"). Reads the plan the worker
// stores and the budget_forecast view (sql/086_budget_plan.sql), the same numbers as
// `wearhouse status --budget`.
import * as common from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { NEUTRAL, table } from './common.ts';

export const BUDGET_PLAN = `
  select p.display_name as "provider", f.connections as "connections", f.interval_minutes as "sync every",
    f.webhooks as "webhooks", b.sync_requests_per_day as "sync/day", b.interactive_reserve_per_day as "interactive/day",
    f.requests_per_day as "day budget", f.used_today as "used today", f.reserved_remaining as "still planned",
    f.projected_end_of_day as "projected", case when f.will_last then 'lasts' else 'will not last' end as "today"
  from budget_forecast f
  join budget_plan_providers b on b.provider = f.provider
  join providers p on p.name = f.provider
  where f.provider in (\${provider:sqlstring})
  order by 1`;

export function budgetPlanPanel(): TablePanel {
  return new TablePanel()
    .title('Budget plan and today')
    .description(
      "Per provider: the sync interval the planner chose for its connections (rarely polled when webhooks flow), the requests a day it plans for syncs and reserves for webhook and on-demand fetches, today's requests so far (UTC day) and what the plan still needs until midnight. 'will not last' means the day budget runs out before midnight; backfills only ever use what the plan leaves.",
    )
    .unit(units.Short)
    .thresholds(NEUTRAL())
    .withTarget(table(BUDGET_PLAN))
    .overrideByName('sync every', [{ id: 'unit', value: units.Minutes }])
    .overrideByName('today', [
      {
        id: 'mappings',
        value: [
          {
            type: 'value',
            options: { lasts: { color: 'green', index: 0 }, 'will not last': { color: 'red', index: 1 } },
          },
        ],
      },
      { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
    ])
    .height(6)
    .span(24);
}
