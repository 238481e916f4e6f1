-- Hourly rollups of the run ledger and of record ingestion, for the pipeline dashboard
-- (docs/views.md, "Hourly pipeline rollups").
--
-- "Upserts by outcome", "Sync runs by status", "Failures by class" and "Records ingested" counted
-- raw rows of sync_runs or records in the range: a month of 15-minute syncs for 100 users is over a
-- million runs, 5 s with "All" users selected (bench/REPORT.md section 4). These tables keep, per
-- user and hour, what those panels count; statement triggers on the writers' tables add each
-- statement's difference in the writer's transaction. Rows are per user, so two users' writers
-- never touch the same row.

-- Per user, provider, hour started, hour finished (null while running), status and error class.
create table sync_runs_hourly (
  user_id            text not null,
  provider           text not null,
  started_hour       timestamptz not null,
  finished_hour      timestamptz,
  status             text not null,
  error_class        text,
  runs               integer not null,
  inserted           bigint not null,
  updated            bigint not null,
  unchanged          bigint not null,
  quarantined        bigint not null,
  deleted            bigint not null,
  -- Of the runs ever counted in this row: the latest start, and that run's error message.
  last_started_at    timestamptz,
  last_error_message text,
  unique nulls not distinct (user_id, provider, started_hour, finished_hour, status, error_class)
);
create index sync_runs_hourly_started on sync_runs_hourly (started_hour);
create index sync_runs_hourly_finished on sync_runs_hourly (finished_hour);

-- The upsert that adds `source` (rows of sync_runs with a `sign` column: +1 for a new row, -1 for an
-- old one) to the rollup. Text, so that the trigger function itself executes it: transition tables
-- are visible only in the trigger function's own queries.
create function wearhouse_sync_runs_hourly_sql(source text) returns text
  language sql immutable as $f$
  select format($q$
  insert into sync_runs_hourly as h (user_id, provider, started_hour, finished_hour, status, error_class, runs,
    inserted, updated, unchanged, quarantined, deleted, last_started_at, last_error_message)
  select user_id, provider, date_trunc('hour', started_at), date_trunc('hour', finished_at), status, error_class,
    sum(sign), sum(sign * inserted), sum(sign * updated), sum(sign * unchanged), sum(sign * quarantined),
    sum(sign * deleted),
    max(started_at) filter (where sign > 0),
    (array_agg(error_message order by started_at desc) filter (where sign > 0))[1]
  from (%s) d
  group by 1, 2, 3, 4, 5, 6
  -- A fixed order: two statements adding to the same rows take their locks in turn, never crosswise.
  order by 1, 2, 3, 4, 5, 6
  on conflict (user_id, provider, started_hour, finished_hour, status, error_class) do update set
    runs = h.runs + excluded.runs,
    inserted = h.inserted + excluded.inserted,
    updated = h.updated + excluded.updated,
    unchanged = h.unchanged + excluded.unchanged,
    quarantined = h.quarantined + excluded.quarantined,
    deleted = h.deleted + excluded.deleted,
    last_started_at = greatest(h.last_started_at, excluded.last_started_at),
    last_error_message = case
      when excluded.last_started_at is not null
       and (h.last_started_at is null or excluded.last_started_at >= h.last_started_at)
      then excluded.last_error_message else h.last_error_message end
  $q$, source);
$f$;

create function wearhouse_sync_runs_hourly() returns trigger
  language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    execute wearhouse_sync_runs_hourly_sql('select 1 as sign, n.* from new_rows n');
  elsif tg_op = 'UPDATE' then
    execute wearhouse_sync_runs_hourly_sql(
      'select 1 as sign, n.* from new_rows n union all select -1, o.* from old_rows o');
  else
    execute wearhouse_sync_runs_hourly_sql('select -1 as sign, o.* from old_rows o');
  end if;
  return null;
end;
$$;

create trigger sync_runs_hourly_insert after insert on sync_runs
  referencing new table as new_rows for each statement execute function wearhouse_sync_runs_hourly();
create trigger sync_runs_hourly_update after update on sync_runs
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_sync_runs_hourly();
create trigger sync_runs_hourly_delete after delete on sync_runs
  referencing old table as old_rows for each statement execute function wearhouse_sync_runs_hourly();

create function wearhouse_sync_runs_truncated() returns trigger
  language plpgsql as $$
begin
  delete from sync_runs_hourly;
  return null;
end;
$$;
create trigger sync_runs_hourly_truncate after truncate on sync_runs
  for each statement execute function wearhouse_sync_runs_truncated();

-- Records by the hour they were first stored (records.first_ingested_at, set once on insert and
-- never updated), per user, provider and kind.
create table records_ingested_hourly (
  user_id  text not null,
  provider text not null,
  kind     text not null,
  hour     timestamptz not null,
  records  bigint not null,
  primary key (user_id, provider, kind, hour)
);
create index records_ingested_hourly_hour on records_ingested_hourly (hour);

create function wearhouse_records_ingested_hourly() returns trigger
  language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    insert into records_ingested_hourly as h (user_id, provider, kind, hour, records)
    select user_id, provider, kind, date_trunc('hour', first_ingested_at), count(*)
      from new_rows group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict (user_id, provider, kind, hour) do update set records = h.records + excluded.records;
  else
    update records_ingested_hourly h set records = h.records - d.n
      from (select user_id, provider, kind, date_trunc('hour', first_ingested_at) as hour, count(*) as n
              from old_rows group by 1, 2, 3, 4) d
     where h.user_id = d.user_id and h.provider = d.provider and h.kind = d.kind and h.hour = d.hour;
  end if;
  return null;
end;
$$;

create trigger records_ingested_hourly_insert after insert on records
  referencing new table as new_rows for each statement execute function wearhouse_records_ingested_hourly();
create trigger records_ingested_hourly_delete after delete on records
  referencing old table as old_rows for each statement execute function wearhouse_records_ingested_hourly();

create function wearhouse_records_ingested_truncated() returns trigger
  language plpgsql as $$
begin
  delete from records_ingested_hourly;
  return null;
end;
$$;
create trigger records_ingested_hourly_truncate after truncate on records
  for each statement execute function wearhouse_records_ingested_truncated();

-- From scratch: once here, and after a bulk load that ran with the records triggers off.
create function wearhouse_rebuild_pipeline_hourly() returns void
  language plpgsql as $$
begin
  lock table sync_runs_hourly, records_ingested_hourly in exclusive mode;
  delete from sync_runs_hourly;
  execute wearhouse_sync_runs_hourly_sql('select 1 as sign, s.* from sync_runs s');
  delete from records_ingested_hourly;
  insert into records_ingested_hourly (user_id, provider, kind, hour, records)
  select user_id, provider, kind, date_trunc('hour', first_ingested_at), count(*)
    from records group by 1, 2, 3, 4;
end;
$$;

select wearhouse_rebuild_pipeline_hourly();

grant select on sync_runs_hourly, records_ingested_hourly to wearhouse_grafana;
