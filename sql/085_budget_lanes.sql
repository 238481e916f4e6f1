-- Priority lanes in the shared request budget (providers/budget-queue.ts; docs/architecture.md,
-- "Priorities under one budget"). Every acquisition waiting for a request slot is a row here, so the
-- slot goes to the same head whichever worker process asks: the lowest lane (1 interactive,
-- 2 incremental, 3 backfill), round-robin over users within the backfill lane. A row lives while its
-- process renews `alive_until`; a crashed worker's waiters simply expire. Unlogged: after a database
-- crash the queue is rebuilt by the waiting processes, nothing durable is lost.
-- Neither table is granted to the Grafana role.
create unlogged table rate_budget_waiters (
  id           text primary key,
  provider     text not null,
  lane         smallint not null check (lane between 1 and 3),
  user_id      text,
  owner        text not null,
  enqueued_at  timestamptz not null default clock_timestamp(),
  alive_until  timestamptz not null
);
create index rate_budget_waiters_provider on rate_budget_waiters (provider, alive_until);
create index rate_budget_waiters_owner on rate_budget_waiters (owner);

-- When each user last got a backfill slot: the round-robin's memory.
create unlogged table rate_budget_user_grants (
  provider         text not null,
  user_id          text not null,
  last_granted_at  timestamptz not null,
  primary key (provider, user_id)
);
