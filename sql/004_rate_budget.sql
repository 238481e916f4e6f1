-- One request budget per provider app, shared by every worker process (DESIGN.md decision 4).
-- `tat` is the GCRA "theoretical arrival time": the earliest instant the next request may be sent.
-- Each request advances it by 60s / requests-per-minute in one atomic UPDATE on the database clock
-- (providers/rate-budget.ts); a 429 pushes it out for everyone. Not granted to the Grafana role.
create table rate_budget (
  provider  text primary key,
  tat       timestamptz not null
);
