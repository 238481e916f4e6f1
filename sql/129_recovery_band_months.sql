-- Days per recovery band per user and month, for "Days per recovery band" with every user selected
-- (docs/views.md, "Across-user daily rows"; docs/dashboards.md, "Many users").
--
-- The panel is a table of one row per user: with "All" of 1,000 users over a year it counted
-- 365,000 stored recoveries (0.14-0.19 s). With every user selected it now adds each user's stored
-- monthly counts for the months wholly in the range, and counts the days before and after them from
-- recoveries_stored. Kept like sql/121: statement triggers on recoveries_stored recompute the
-- changed users' months, per (user, provider) range of days, in the writer's transaction. Rows are
-- per user, so two users' writers never share one.

create table recovery_band_months (
  user_id  text not null,
  provider text not null,
  month    date not null,
  red      bigint not null,
  yellow   bigint not null,
  green    bigint not null,
  primary key (user_id, provider, month)
);
create index recovery_band_months_month on recovery_band_months (month);

create function wearhouse_recoveries_stored_changed() returns trigger
  language plpgsql as $$
declare
  k record;
  month_lo date;
  month_hi date;
begin
  for k in
    execute format('select user_id, provider, min(day) as lo, max(day) as hi from %I
                    group by user_id, provider order by user_id, provider',
                   case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end)
  loop
    month_lo := date_trunc('month', k.lo)::date;
    month_hi := date_trunc('month', k.hi)::date;
    delete from recovery_band_months
     where user_id = k.user_id and provider = k.provider and month between month_lo and month_hi;
    insert into recovery_band_months
    select user_id, provider, date_trunc('month', day)::date,
      count(*) filter (where band = 'red'), count(*) filter (where band = 'yellow'),
      count(*) filter (where band = 'green')
      from recoveries_stored
     where user_id = k.user_id and provider = k.provider and band is not null
       and day >= month_lo and day < (month_hi + interval '1 month')::date
     group by 1, 2, 3;
  end loop;
  return null;
end;
$$;

create trigger recoveries_stored_months_insert after insert on recoveries_stored
  referencing new table as new_rows for each statement execute function wearhouse_recoveries_stored_changed();
create trigger recoveries_stored_months_delete after delete on recoveries_stored
  referencing old table as old_rows for each statement execute function wearhouse_recoveries_stored_changed();

create function wearhouse_rebuild_recovery_band_months() returns void
  language plpgsql as $$
begin
  truncate recovery_band_months;
  insert into recovery_band_months
  select user_id, provider, date_trunc('month', day)::date,
    count(*) filter (where band = 'red'), count(*) filter (where band = 'yellow'),
    count(*) filter (where band = 'green')
    from recoveries_stored where band is not null
   group by 1, 2, 3;
end;
$$;

create or replace function wearhouse_rebuild_daily_across_users() returns void
  language plpgsql as $$
begin
  lock table daily_summary_across_users, daily_health_by_source_across_users, daily_health_across_users
    in exclusive mode;
  delete from daily_summary_across_users;
  execute wearhouse_across_users_sql('select 1 as sign, r.* from daily_summary_rollup r');
  delete from daily_health_by_source_across_users;
  execute wearhouse_by_source_across_sql('select 1 as sign, r.* from daily_health_by_source_rollup r');
  delete from daily_health_across_users;
  execute wearhouse_daily_health_across_sql('select 1 as sign, r.* from daily_health_rollup r');
  perform wearhouse_rebuild_sleep_nights();
  perform wearhouse_rebuild_workout_days();
  perform wearhouse_rebuild_recovery_band_months();
end;
$$;

select wearhouse_rebuild_recovery_band_months();

grant select on recovery_band_months to wearhouse_grafana;
