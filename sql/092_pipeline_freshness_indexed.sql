-- pipeline_freshness answered from indexes (docs/views.md, "pipeline_freshness").
--
-- The view grouped every run of every (provider, user, kind) to find the newest success, attempt
-- and failure, and listed its keys with a DISTINCT over the whole run ledger: 9 s for "All" users
-- with a month of 15-minute syncs for 100 users (bench/REPORT.md section 4). Same columns, same
-- meaning; now:
--   * its keys come from sync_run_kinds (every (provider, user, kind) a run was ever started for,
--     kept by a trigger on sync_runs inserts) with the watermarks and coverage as before;
--   * each figure is one probe of a partial index (the newest completed run, the newest failed run,
--     whether one is running, the failed runs of the last 24 hours) or of records' indexes.

create table sync_run_kinds (
  provider text not null,
  user_id  text not null,
  kind     text not null,
  primary key (provider, user_id, kind)
);
insert into sync_run_kinds select distinct provider, user_id, kind from sync_runs where kind is not null;

create function wearhouse_sync_run_kinds() returns trigger
  language plpgsql as $$
begin
  -- DO NOTHING on a key already there takes no row lock: writers of one key never wait on each other.
  insert into sync_run_kinds (provider, user_id, kind)
  select distinct provider, user_id, kind from new_rows where kind is not null
  order by 1, 2, 3
  on conflict do nothing;
  return null;
end;
$$;
create trigger sync_run_kinds_insert after insert on sync_runs
  referencing new table as new_rows for each statement execute function wearhouse_sync_run_kinds();

create index sync_runs_completed on sync_runs (provider, user_id, kind, finished_at) where status = 'completed';
create index sync_runs_failed on sync_runs (provider, user_id, kind, started_at) where status = 'failed';
create index sync_runs_running_key on sync_runs (provider, user_id, kind) where status = 'running';
-- The newest record change and start: records_freshness and records_live_user_kind_start (sql/005).

create or replace view pipeline_freshness as
  with keys as (
    -- A key whose runs were all deleted is no longer one (as when keys were read from sync_runs).
    select provider, user_id, kind from sync_run_kinds rk
     where exists (select from sync_runs s
                    where s.provider = rk.provider and s.user_id = rk.user_id and s.kind = rk.kind)
    union
    select provider, user_id, kind from sync_watermarks
    union
    select provider, user_id, kind from coverage
  )
  select
    k.provider,
    k.user_id,
    k.kind,
    cs.status as connection_status,
    (select max(s.finished_at) from sync_runs s
      where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
        and s.status = 'completed') as last_success_at,
    (select max(s.started_at) from sync_runs s
      where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind) as last_attempt_at,
    exists (select from sync_runs s
             where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
               and s.status = 'running') as running,
    (select count(*) from sync_runs s
      where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind and s.status = 'failed'
        and s.started_at > now() - interval '24 hours')::int as failures_24h,
    fail.finished_at as last_failure_at,
    fail.error_class as last_error_class,
    fail.error_message as last_error_message,
    w.watermark,
    (select max(r.last_changed_at) from records r
      where r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind
        and r.deleted_at is null) as last_change_at,
    (select max(r.start_at) from records r
      where r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind
        and r.deleted_at is null) as newest_start_at,
    extract(epoch from now() - (select max(s.finished_at) from sync_runs s
      where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
        and s.status = 'completed'))::float8 / 60 as sync_lag_min,
    extract(epoch from now() - (select max(r.start_at) from records r
      where r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind
        and r.deleted_at is null))::float8 / 3600 as data_lag_h
  from keys k
  left join connection_status cs on cs.provider = k.provider and cs.user_id = k.user_id
  left join sync_watermarks w on w.provider = k.provider and w.user_id = k.user_id and w.kind = k.kind
  left join lateral (
    select s.finished_at, s.error_class, s.error_message
    from sync_runs s
    where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind and s.status = 'failed'
    order by s.started_at desc
    limit 1
  ) fail on true;

grant select on pipeline_freshness, sync_run_kinds to wearhouse_grafana;
