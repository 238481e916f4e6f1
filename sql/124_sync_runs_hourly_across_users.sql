-- The run ledger's hourly counts summed over users, per provider and user bucket, for "Upserts by
-- outcome" and "Sync runs by status" with every user selected (docs/views.md, "Hourly pipeline
-- rollups").
--
-- sync_runs_hourly (sql/091) has a row per user and hour: "All" of 100 users over a month of
-- 15-minute syncs summed 80,000 of them (0.2 s). This table keeps the same counts per provider,
-- user bucket (sql/120), hour started, hour finished and status: 16 rows an hour per provider and
-- status whatever the number of users. Kept like sql/091, by statement triggers on sync_runs adding
-- each statement's difference in the writer's transaction, after the bucket's lock (sql/120).

create table sync_runs_hourly_across_users (
  provider      text not null,
  bucket        smallint not null,
  started_hour  timestamptz not null,
  finished_hour timestamptz,
  status        text not null,
  runs          integer not null,
  inserted      bigint not null,
  updated       bigint not null,
  unchanged     bigint not null,
  quarantined   bigint not null,
  deleted       bigint not null,
  unique nulls not distinct (provider, bucket, started_hour, finished_hour, status)
);
create index sync_runs_hourly_across_started on sync_runs_hourly_across_users (started_hour);
create index sync_runs_hourly_across_finished on sync_runs_hourly_across_users (finished_hour);

create function wearhouse_sync_runs_across_sql(source text) returns text
  language sql immutable as $f$
  select format($q$
  insert into sync_runs_hourly_across_users as h (provider, bucket, started_hour, finished_hour, status,
    runs, inserted, updated, unchanged, quarantined, deleted)
  select provider, wearhouse_user_bucket(user_id), date_trunc('hour', started_at), date_trunc('hour', finished_at),
    status, sum(sign), sum(sign * inserted), sum(sign * updated), sum(sign * unchanged),
    sum(sign * quarantined), sum(sign * deleted)
  from (%s) d
  group by 1, 2, 3, 4, 5
  order by 1, 2, 3, 4, 5
  on conflict (provider, bucket, started_hour, finished_hour, status) do update set
    runs = h.runs + excluded.runs,
    inserted = h.inserted + excluded.inserted,
    updated = h.updated + excluded.updated,
    unchanged = h.unchanged + excluded.unchanged,
    quarantined = h.quarantined + excluded.quarantined,
    deleted = h.deleted + excluded.deleted
  $q$, source);
$f$;

create function wearhouse_sync_runs_across() returns trigger
  language plpgsql as $$
declare
  providers text[];
  buckets smallint[];
begin
  if tg_op = 'DELETE' then
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from old_rows) k;
  else
    -- An update never moves a run to another user or provider.
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from new_rows) k;
  end if;
  if providers is null then
    return null;
  end if;
  perform wearhouse_lock_across_buckets(providers, buckets);
  if tg_op = 'INSERT' then
    execute wearhouse_sync_runs_across_sql('select 1 as sign, n.* from new_rows n');
  elsif tg_op = 'UPDATE' then
    execute wearhouse_sync_runs_across_sql(
      'select 1 as sign, n.* from new_rows n union all select -1, o.* from old_rows o');
  else
    execute wearhouse_sync_runs_across_sql('select -1 as sign, o.* from old_rows o');
  end if;
  return null;
end;
$$;

create trigger sync_runs_across_insert after insert on sync_runs
  referencing new table as new_rows for each statement execute function wearhouse_sync_runs_across();
create trigger sync_runs_across_update after update on sync_runs
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_sync_runs_across();
create trigger sync_runs_across_delete after delete on sync_runs
  referencing old table as old_rows for each statement execute function wearhouse_sync_runs_across();

create function wearhouse_sync_runs_across_truncated() returns trigger
  language plpgsql as $$
begin
  delete from sync_runs_hourly_across_users;
  return null;
end;
$$;
create trigger sync_runs_across_truncate after truncate on sync_runs
  for each statement execute function wearhouse_sync_runs_across_truncated();

create or replace function wearhouse_rebuild_pipeline_hourly() returns void
  language plpgsql as $$
begin
  lock table sync_runs_hourly, records_ingested_hourly, sync_runs_hourly_across_users in exclusive mode;
  delete from sync_runs_hourly;
  execute wearhouse_sync_runs_hourly_sql('select 1 as sign, s.* from sync_runs s');
  delete from sync_runs_hourly_across_users;
  execute wearhouse_sync_runs_across_sql('select 1 as sign, s.* from sync_runs s');
  delete from records_ingested_hourly;
  insert into records_ingested_hourly (user_id, provider, kind, hour, records)
  select user_id, provider, kind, date_trunc('hour', first_ingested_at), count(*)
    from records group by 1, 2, 3, 4;
  perform wearhouse_rebuild_pipeline_latest();
end;
$$;

-- The runs already in the ledger.
do $$
begin
  execute wearhouse_sync_runs_across_sql('select 1 as sign, s.* from sync_runs s');
end;
$$;

grant select on sync_runs_hourly_across_users to wearhouse_grafana;
