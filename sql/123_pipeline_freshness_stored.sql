-- pipeline_freshness from stored per-key rows (docs/views.md, "Hourly pipeline rollups").
--
-- sql/092 answered each (provider, user, kind) with about ten index probes (newest success, newest
-- attempt, running, failures, newest failure, newest record change and start) and listed the keys
-- from sync_run_kinds (a probe each: does the key still have a run?), sync_watermarks and every
-- coverage row: with "All" of 1,000 users (4,000 keys, 244,000 coverage rows) that was 0.6-2.6 s.
-- Same columns, same meaning; now each key's figures are stored, kept by statement triggers in the
-- writer's transaction, and the view is a join of four small tables:
--
--   * sync_run_latest: per key with a run, what the run ledger says of it (has runs, newest success,
--     newest attempt, running, the newest failure), recomputed for the keys a sync_runs statement
--     changed (by the same index probes, once per key and statement instead of once per read);
--   * records_kind_latest: per key, the newest change and newest start of its live records,
--     recomputed for the keys a records statement changed;
--   * coverage_kinds: per key, how many coverage spans it has.
--
-- failures_24h stays a count at read time (it changes with the clock), but only for keys whose
-- newest failure started in the last 24 hours.

create table sync_run_latest (
  provider text not null,
  user_id  text not null,
  kind     text not null,
  has_runs boolean not null,
  last_success_at timestamptz,
  last_attempt_at timestamptz,
  running boolean not null,
  last_failure_started_at timestamptz,
  last_failure_at timestamptz,
  last_error_class text,
  last_error_message text,
  primary key (provider, user_id, kind)
);

create table records_kind_latest (
  provider text not null,
  user_id  text not null,
  kind     text not null,
  last_change_at  timestamptz,
  newest_start_at timestamptz,
  primary key (provider, user_id, kind)
);

create table coverage_kinds (
  provider text not null,
  user_id  text not null,
  kind     text not null,
  spans    integer not null,
  primary key (provider, user_id, kind)
);

-- The run ledger's figures of the given keys (the probes sql/092's view made per read).
create function wearhouse_refresh_sync_run_latest(p_keys jsonb) returns void
  language sql as $$
  insert into sync_run_latest as l
  select k.provider, k.user_id, k.kind,
    exists (select from sync_runs s
             where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind),
    (select max(s.finished_at) from sync_runs s
      where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
        and s.status = 'completed'),
    (select max(s.started_at) from sync_runs s
      where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind),
    exists (select from sync_runs s
             where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
               and s.status = 'running'),
    fail.started_at, fail.finished_at, fail.error_class, fail.error_message
  from jsonb_to_recordset(p_keys) as k(provider text, user_id text, kind text)
  left join lateral (
    select s.started_at, s.finished_at, s.error_class, s.error_message
    from sync_runs s
    where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind and s.status = 'failed'
    order by s.started_at desc
    limit 1
  ) fail on true
  -- A fixed order: two statements refreshing the same keys lock them in turn, never crosswise.
  order by 1, 2, 3
  on conflict (provider, user_id, kind) do update set
    has_runs = excluded.has_runs, last_success_at = excluded.last_success_at,
    last_attempt_at = excluded.last_attempt_at, running = excluded.running,
    last_failure_started_at = excluded.last_failure_started_at,
    last_failure_at = excluded.last_failure_at, last_error_class = excluded.last_error_class,
    last_error_message = excluded.last_error_message
$$;

create function wearhouse_refresh_records_kind_latest(p_keys jsonb) returns void
  language sql as $$
  insert into records_kind_latest as l
  select k.provider, k.user_id, k.kind,
    (select max(r.last_changed_at) from records r
      where r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind
        and r.deleted_at is null),
    (select max(r.start_at) from records r
      where r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind
        and r.deleted_at is null)
  from jsonb_to_recordset(p_keys) as k(provider text, user_id text, kind text)
  order by 1, 2, 3
  on conflict (provider, user_id, kind) do update set
    last_change_at = excluded.last_change_at, newest_start_at = excluded.newest_start_at
$$;

create function wearhouse_sync_runs_latest() returns trigger
  language plpgsql as $$
declare
  keys jsonb;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(k) into keys from (
      select distinct provider, user_id, kind from new_rows where kind is not null) k;
  elsif tg_op = 'UPDATE' then
    select jsonb_agg(k) into keys from (
      select provider, user_id, kind from new_rows where kind is not null
      union select provider, user_id, kind from old_rows where kind is not null) k;
  else
    select jsonb_agg(k) into keys from (
      select distinct provider, user_id, kind from old_rows where kind is not null) k;
  end if;
  if keys is not null then
    perform wearhouse_refresh_sync_run_latest(keys);
  end if;
  return null;
end;
$$;

create trigger sync_runs_latest_insert after insert on sync_runs
  referencing new table as new_rows for each statement execute function wearhouse_sync_runs_latest();
create trigger sync_runs_latest_update after update on sync_runs
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_sync_runs_latest();
create trigger sync_runs_latest_delete after delete on sync_runs
  referencing old table as old_rows for each statement execute function wearhouse_sync_runs_latest();

create function wearhouse_records_kind_latest() returns trigger
  language plpgsql as $$
declare
  keys jsonb;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(k) into keys from (select distinct provider, user_id, kind from new_rows) k;
  elsif tg_op = 'UPDATE' then
    select jsonb_agg(k) into keys from (
      select provider, user_id, kind from new_rows
      union select provider, user_id, kind from old_rows) k;
  else
    select jsonb_agg(k) into keys from (select distinct provider, user_id, kind from old_rows) k;
  end if;
  if keys is not null then
    perform wearhouse_refresh_records_kind_latest(keys);
  end if;
  return null;
end;
$$;

create trigger records_kind_latest_insert after insert on records
  referencing new table as new_rows for each statement execute function wearhouse_records_kind_latest();
create trigger records_kind_latest_update after update on records
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_records_kind_latest();
create trigger records_kind_latest_delete after delete on records
  referencing old table as old_rows for each statement execute function wearhouse_records_kind_latest();

create function wearhouse_coverage_kinds() returns trigger
  language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    insert into coverage_kinds as c (provider, user_id, kind, spans)
    select provider, user_id, kind, count(*) from new_rows group by 1, 2, 3 order by 1, 2, 3
    on conflict (provider, user_id, kind) do update set spans = c.spans + excluded.spans;
  elsif tg_op = 'UPDATE' then
    insert into coverage_kinds as c (provider, user_id, kind, spans)
    select provider, user_id, kind, sum(n) from (
      select provider, user_id, kind, 1 as n from new_rows
      union all select provider, user_id, kind, -1 from old_rows) d
    group by 1, 2, 3 order by 1, 2, 3
    on conflict (provider, user_id, kind) do update set spans = c.spans + excluded.spans;
  else
    insert into coverage_kinds as c (provider, user_id, kind, spans)
    select provider, user_id, kind, -count(*) from old_rows group by 1, 2, 3 order by 1, 2, 3
    on conflict (provider, user_id, kind) do update set spans = c.spans + excluded.spans;
  end if;
  return null;
end;
$$;

create trigger coverage_kinds_insert after insert on coverage
  referencing new table as new_rows for each statement execute function wearhouse_coverage_kinds();
create trigger coverage_kinds_update after update on coverage
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_coverage_kinds();
create trigger coverage_kinds_delete after delete on coverage
  referencing old table as old_rows for each statement execute function wearhouse_coverage_kinds();

-- A truncate fires no delete trigger: the stored figures go with the table.
create function wearhouse_pipeline_latest_truncated() returns trigger
  language plpgsql as $$
begin
  if tg_table_name = 'sync_runs' then
    delete from sync_run_latest;
  elsif tg_table_name = 'records' then
    delete from records_kind_latest;
  else
    delete from coverage_kinds;
  end if;
  return null;
end;
$$;
create trigger sync_runs_latest_truncate after truncate on sync_runs
  for each statement execute function wearhouse_pipeline_latest_truncated();
create trigger records_kind_latest_truncate after truncate on records
  for each statement execute function wearhouse_pipeline_latest_truncated();
create trigger coverage_kinds_truncate after truncate on coverage
  for each statement execute function wearhouse_pipeline_latest_truncated();

-- From scratch: here, and from wearhouse_rebuild_pipeline_hourly() (after a bulk load that wrote
-- records or the ledger with their triggers off).
create function wearhouse_rebuild_pipeline_latest() returns void
  language plpgsql as $$
begin
  lock table sync_run_latest, records_kind_latest, coverage_kinds in exclusive mode;
  delete from sync_run_latest;
  perform wearhouse_refresh_sync_run_latest(
    (select jsonb_agg(k) from (select distinct provider, user_id, kind from sync_runs where kind is not null) k));
  delete from records_kind_latest;
  insert into records_kind_latest
  select provider, user_id, kind, max(last_changed_at), max(start_at)
    from records where deleted_at is null group by 1, 2, 3;
  delete from coverage_kinds;
  insert into coverage_kinds select provider, user_id, kind, count(*) from coverage group by 1, 2, 3;
end;
$$;

create or replace function wearhouse_rebuild_pipeline_hourly() returns void
  language plpgsql as $$
begin
  lock table sync_runs_hourly, records_ingested_hourly in exclusive mode;
  delete from sync_runs_hourly;
  execute wearhouse_sync_runs_hourly_sql('select 1 as sign, s.* from sync_runs s');
  delete from records_ingested_hourly;
  insert into records_ingested_hourly (user_id, provider, kind, hour, records)
  select user_id, provider, kind, date_trunc('hour', first_ingested_at), count(*)
    from records group by 1, 2, 3, 4;
  perform wearhouse_rebuild_pipeline_latest();
end;
$$;

select wearhouse_rebuild_pipeline_latest();

create or replace view pipeline_freshness as
  with keys as (
    select provider, user_id, kind from sync_run_latest where has_runs
    union
    select provider, user_id, kind from sync_watermarks
    union
    select provider, user_id, kind from coverage_kinds where spans > 0
  )
  select
    k.provider,
    k.user_id,
    k.kind,
    cs.status as connection_status,
    l.last_success_at,
    l.last_attempt_at,
    coalesce(l.running, false) as running,
    case when l.last_failure_started_at > now() - interval '24 hours' then
      (select count(*) from sync_runs s
        where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
          and s.status = 'failed' and s.started_at > now() - interval '24 hours')::int
      else 0 end as failures_24h,
    l.last_failure_at,
    l.last_error_class,
    l.last_error_message,
    w.watermark,
    r.last_change_at,
    r.newest_start_at,
    extract(epoch from now() - l.last_success_at)::float8 / 60 as sync_lag_min,
    extract(epoch from now() - r.newest_start_at)::float8 / 3600 as data_lag_h
  from keys k
  left join connection_status cs on cs.provider = k.provider and cs.user_id = k.user_id
  left join sync_watermarks w on w.provider = k.provider and w.user_id = k.user_id and w.kind = k.kind
  left join sync_run_latest l on l.provider = k.provider and l.user_id = k.user_id and l.kind = k.kind
  left join records_kind_latest r on r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind;

grant select on pipeline_freshness, sync_run_latest, records_kind_latest, coverage_kinds to wearhouse_grafana;
