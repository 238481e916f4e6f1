-- The records trigger (sql/080_daily_summary_rollup.sql) handed wearhouse_refresh_daily_summary_for
-- one JSON object per changed row, which it then grouped by user and provider. A bulk statement
-- changes thousands of rows (a file import's batch: 2,000), so building and re-reading that JSON was
-- a sizeable part of the statement's cost. The rows are now grouped here, in SQL, and the JSON holds
-- one object per user and provider with the same range: a null bound still means every day
-- (least/greatest skip nulls, so a bound is null only when the row has no date at all).

create or replace function wearhouse_records_daily_summary() returns trigger
  language plpgsql as $$
declare
  changed jsonb;
begin
  -- Transition tables are only visible in the function's own queries, hence one per event.
  if tg_op = 'INSERT' then
    select jsonb_agg(x) into changed from (
      select user_id, provider,
             case when bool_or(lo is null) then null else min(lo) end as lo,
             case when bool_or(hi is null) then null else max(hi) end as hi
        from (select user_id, provider,
                     least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as lo,
                     greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as hi
                from new_rows) r
       group by user_id, provider) x;
  elsif tg_op = 'UPDATE' then
    select jsonb_agg(x) into changed from (
      select user_id, provider,
             case when bool_or(lo is null) then null else min(lo) end as lo,
             case when bool_or(hi is null) then null else max(hi) end as hi
        from (select user_id, provider,
                     least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as lo,
                     greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as hi
                from new_rows
              union all
              select user_id, provider,
                     least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date),
                     greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date)
                from old_rows) r
       group by user_id, provider) x;
  else
    select jsonb_agg(x) into changed from (
      select user_id, provider,
             case when bool_or(lo is null) then null else min(lo) end as lo,
             case when bool_or(hi is null) then null else max(hi) end as hi
        from (select user_id, provider,
                     least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as lo,
                     greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as hi
                from old_rows) r
       group by user_id, provider) x;
  end if;
  if changed is not null then
    perform wearhouse_refresh_daily_summary_for(changed);
  end if;
  return null;
end;
$$;
