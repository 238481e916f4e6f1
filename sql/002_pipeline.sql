-- Pipeline state: coverage ledger, watermarks, run ledger, request counters.

-- A span of time whose records of one kind are stored. Final spans are older than the provider's
-- rescore lookback when they were fetched, so a re-run backfill skips them.
create table coverage (
  provider     text not null,
  user_id      text not null,
  kind         text not null,
  span         tstzrange not null check (not isempty(span)),
  final        boolean not null,
  records      integer not null default 0,
  workflow_id  text,
  covered_at   timestamptz not null default now()
);
create index coverage_lookup on coverage (provider, user_id, kind);

-- Incremental sync re-fetches from (watermark - rescore lookback) to now.
create table sync_watermarks (
  provider     text not null,
  user_id      text not null,
  kind         text not null,
  watermark    timestamptz not null,
  updated_at   timestamptz not null default now(),
  primary key (provider, user_id, kind)
);

-- One row per activity run (attempt): what it fetched, stored, waited for and how it ended.
create table sync_runs (
  id                bigserial primary key,
  workflow_id       text not null,
  run_id            text not null,
  workflow_type     text not null,
  activity          text not null,
  attempt           integer not null,
  provider          text not null,
  user_id           text not null,
  kind              text,
  window_start      timestamptz,
  window_end        timestamptz,
  status            text not null check (status in ('running', 'completed', 'failed')),
  started_at        timestamptz not null default now(),
  finished_at       timestamptz,
  duration_ms       integer,
  pages             integer not null default 0,
  fetched           integer not null default 0,
  inserted          integer not null default 0,
  updated           integer not null default 0,
  unchanged         integer not null default 0,
  quarantined       integer not null default 0,
  deleted           integer not null default 0,
  api_calls         integer not null default 0,
  rate_limited      integer not null default 0,
  throttle_wait_ms  integer not null default 0,
  error_class       text,
  error_message     text
);
create index sync_runs_user on sync_runs (provider, user_id, kind, started_at desc);
create index sync_runs_started on sync_runs (started_at);

-- Provider requests aggregated per minute (bounded: one row per endpoint x status x minute;
-- `wearhouse` prunes rows older than the retention).
create table provider_requests (
  minute          timestamptz not null,
  provider        text not null,
  endpoint        text not null,
  status          integer not null,
  requests        integer not null default 0,
  total_latency_ms bigint not null default 0,
  max_latency_ms  integer not null default 0,
  primary key (minute, provider, endpoint, status)
);
