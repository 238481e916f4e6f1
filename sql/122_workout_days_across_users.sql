-- Per-user workout days and weeks and their across-user sums, for the Strain & workouts panels
-- "Workouts" and "Weekly training volume" with every user selected (docs/views.md, "Across-user
-- daily rows"; docs/dashboards.md, "Many users").
--
-- With more than one user selected those panels draw, per day (week), the mean over the users with
-- a workout then of each user's own count (hours). With "All" that read every user's workouts of the
-- range from workouts_stored: 450 ms for a year of 1,000 users. Here, per user, provider and day
-- (ISO week, Monday first): the number of workouts and their minutes; and per provider, day (week)
-- and user bucket, their sums over users, so "All" reads 16 rows a day (week).
--
-- Kept like sql/121: statement triggers on workouts_stored recompute the changed users' days and
-- weeks from workouts_stored, and statement triggers on those tables add and subtract them in the
-- across-user tables, after the bucket's lock (sql/120).

create table workout_days (
  user_id  text not null,
  provider text not null,
  day      date not null,
  workouts integer not null,
  primary key (user_id, provider, day)
);

create table workout_weeks (
  user_id  text not null,
  provider text not null,
  week     date not null,
  -- sum(duration_min): null when no workout of the week has a duration, as the panel's sum.
  duration_min float8,
  primary key (user_id, provider, week)
);

create table workout_days_across_users (
  provider text not null,
  day      date not null,
  bucket   smallint not null,
  users    integer not null,
  workouts integer not null,
  primary key (provider, day, bucket)
);

create table workout_weeks_across_users (
  provider text not null,
  week     date not null,
  bucket   smallint not null,
  users    integer not null,
  hours_sum float8 not null,
  hours_n   integer not null,
  primary key (provider, week, bucket)
);

-- Per user and provider, the changed rows' range of days, and the weeks holding them, are recomputed
-- from workouts_stored (workouts_stored_user_day answers each range).
create function wearhouse_workouts_stored_changed() returns trigger
  language plpgsql as $$
declare
  k record;
  week_lo date;
  week_hi date;
begin
  for k in
    execute format('select user_id, provider, min(day) as lo, max(day) as hi from %I
                    group by user_id, provider order by user_id, provider',
                   case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end)
  loop
    delete from workout_days
     where user_id = k.user_id and provider = k.provider and day between k.lo and k.hi;
    insert into workout_days
    select user_id, provider, day, count(*)::int
      from workouts_stored
     where user_id = k.user_id and provider = k.provider and day between k.lo and k.hi
     group by 1, 2, 3;

    week_lo := date_trunc('week', k.lo)::date;
    week_hi := date_trunc('week', k.hi)::date;
    delete from workout_weeks
     where user_id = k.user_id and provider = k.provider and week between week_lo and week_hi;
    insert into workout_weeks
    select user_id, provider, date_trunc('week', day)::date, sum(duration_min)
      from workouts_stored
     where user_id = k.user_id and provider = k.provider and day between week_lo and week_hi + 6
     group by 1, 2, 3;
  end loop;
  return null;
end;
$$;

create trigger workouts_stored_days_insert after insert on workouts_stored
  referencing new table as new_rows for each statement execute function wearhouse_workouts_stored_changed();
create trigger workouts_stored_days_delete after delete on workouts_stored
  referencing old table as old_rows for each statement execute function wearhouse_workouts_stored_changed();

-- The across-user upserts of `source` (rows with a `sign`: +1 inserted, -1 deleted).
create function wearhouse_workout_days_across_sql(source text) returns text
  language sql immutable as $f$
  select format($q$
  insert into workout_days_across_users as a (provider, day, bucket, users, workouts)
  select provider, day, wearhouse_user_bucket(user_id), sum(sign)::int, sum(sign * workouts)::int
  from (%s) d
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (provider, day, bucket) do update
    set users = a.users + excluded.users, workouts = a.workouts + excluded.workouts
  $q$, source);
$f$;

create function wearhouse_workout_weeks_across_sql(source text) returns text
  language sql immutable as $f$
  select format($q$
  insert into workout_weeks_across_users as a (provider, week, bucket, users, hours_sum, hours_n)
  select provider, week, wearhouse_user_bucket(user_id), sum(sign)::int,
    coalesce(sum(sign * duration_min / 60), 0),
    (count(duration_min) filter (where sign > 0) - count(duration_min) filter (where sign < 0))::int
  from (%s) d
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (provider, week, bucket) do update
    set users = a.users + excluded.users, hours_sum = a.hours_sum + excluded.hours_sum,
        hours_n = a.hours_n + excluded.hours_n
  $q$, source);
$f$;

-- One trigger function for both tables: tg_table_name picks the upsert.
create function wearhouse_workouts_across() returns trigger
  language plpgsql as $$
declare
  providers text[];
  buckets smallint[];
  upsert text;
begin
  if tg_op = 'INSERT' then
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from new_rows) k;
  else
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from old_rows) k;
  end if;
  if providers is null then
    return null;
  end if;
  perform wearhouse_lock_across_buckets(providers, buckets);
  upsert := case tg_table_name
    when 'workout_days' then 'wearhouse_workout_days_across_sql'
    else 'wearhouse_workout_weeks_across_sql' end;
  if tg_op = 'INSERT' then
    execute format('select %I($1)', upsert) into upsert using 'select 1 as sign, n.* from new_rows n';
  else
    execute format('select %I($1)', upsert) into upsert using 'select -1 as sign, o.* from old_rows o';
  end if;
  execute upsert;
  return null;
end;
$$;

create trigger workout_days_across_insert after insert on workout_days
  referencing new table as new_rows for each statement execute function wearhouse_workouts_across();
create trigger workout_days_across_delete after delete on workout_days
  referencing old table as old_rows for each statement execute function wearhouse_workouts_across();
create trigger workout_weeks_across_insert after insert on workout_weeks
  referencing new table as new_rows for each statement execute function wearhouse_workouts_across();
create trigger workout_weeks_across_delete after delete on workout_weeks
  referencing old table as old_rows for each statement execute function wearhouse_workouts_across();

-- From scratch: here, and from wearhouse_rebuild_daily_across_users().
create function wearhouse_rebuild_workout_days() returns void
  language plpgsql as $$
begin
  -- A truncate fires no delete trigger: nothing is subtracted first.
  truncate workout_days, workout_weeks, workout_days_across_users, workout_weeks_across_users;
  insert into workout_days
  select user_id, provider, day, count(*)::int from workouts_stored group by 1, 2, 3;
  insert into workout_weeks
  select user_id, provider, date_trunc('week', day)::date, sum(duration_min)
    from workouts_stored group by 1, 2, 3;
end;
$$;

create or replace function wearhouse_rebuild_daily_across_users() returns void
  language plpgsql as $$
begin
  lock table daily_summary_across_users in exclusive mode;
  delete from daily_summary_across_users;
  execute wearhouse_across_users_sql('select 1 as sign, r.* from daily_summary_rollup r');
  perform wearhouse_rebuild_sleep_nights();
  perform wearhouse_rebuild_workout_days();
end;
$$;

select wearhouse_rebuild_workout_days();

grant select on workout_days, workout_weeks, workout_days_across_users, workout_weeks_across_users
  to wearhouse_grafana;
