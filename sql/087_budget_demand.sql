-- Priority lanes across worker processes, the light way (providers/budget-queue.ts;
-- docs/architecture.md, "Priorities under one budget"). The waiting acquisitions now queue in each
-- process's memory; across processes only the best lane each process has waiting is shared, one row
-- per (provider, process), written when that lane changes and renewed every 2 s. A claim is refused
-- while another live process advertises a lower lane. A killed worker's row expires 6 s after its
-- last renewal. The per-waiter tables of sql/085 (a row per waiting request, four round trips per
-- claim) are gone. Unlogged: after a crash the waiting processes write their rows again.
-- Not granted to the Grafana role.
drop table if exists rate_budget_waiters;
drop table if exists rate_budget_user_grants;

create unlogged table rate_budget_demand (
  provider     text not null,
  owner        text not null,
  lane         smallint not null check (lane between 1 and 3),
  alive_until  timestamptz not null,
  primary key (provider, owner)
);
