-- daily_summary kept as rows, not computed per read (docs/views.md, "Stored daily rows").
--
-- The view used to group a union of the typed views by a `day` each computed per record, so a
-- panel's day filter could not use an index: every selected user's whole history was read on every
-- refresh (2-3 s for "All" at 100 users x 5 years, bench/REPORT.md). Now:
--   * daily_summary_live is that same definition (renamed, unchanged): the reference.
--   * daily_summary_rollup holds its rows, keyed by (user_id, provider, day).
--   * daily_summary is a view over the rollup with the same name, columns and meaning.
--   * Every write to records (insert, update, soft or hard delete; any path) recomputes, in the same
--     transaction, the days it can affect: a statement trigger on records collects, per user and
--     provider, the changed rows' days (local_day and the UTC dates of start and end, before and
--     after the change) widened by two days, and recomputes those days from daily_summary_live. Two
--     days cover every branch's notion of `day` (a local offset is under a day; a cycle's day is its
--     start + 12 h, an Apple Health night its end + 6 h; a recovery takes its cycle's or sleep's
--     day, which the cycle or sleep write itself recomputes). A changed row with no time at all (a
--     child whose parent is not stored yet) recomputes that user and provider entirely.

alter view daily_summary rename to daily_summary_live;

create table daily_summary_rollup as select * from daily_summary_live with no data;
alter table daily_summary_rollup add primary key (user_id, provider, day);
-- "All users" panels filter by day across every user first.
create index daily_summary_rollup_day on daily_summary_rollup (day);

-- One row per user and provider being recomputed: the recomputation locks it (FOR UPDATE via the
-- upsert) so two transactions writing the same user's records take turns, and the second reads
-- what the first committed. A table row, not an advisory lock: the Grafana role could take any
-- advisory lock (sql/009), it has no privilege on this table.
create table daily_summary_refresh (
  user_id      text not null,
  provider     text not null,
  refreshed_at timestamptz not null default now(),
  primary key (user_id, provider)
);

create function wearhouse_refresh_daily_summary(p_user text, p_provider text, p_from date, p_to date)
  returns void language plpgsql as $$
begin
  insert into daily_summary_refresh as f (user_id, provider) values (p_user, p_provider)
  on conflict (user_id, provider) do update set refreshed_at = now();
  -- Each statement below takes a new snapshot, so it sees whatever a transaction that held the row
  -- above committed.
  delete from daily_summary_rollup
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
  insert into daily_summary_rollup
  select * from daily_summary_live
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
end;
$$;

-- The days a set of changed rows can move, per user and provider (null bounds: all of them).
create function wearhouse_refresh_daily_summary_for(changed jsonb) returns void
  language plpgsql as $$
declare
  k record;
begin
  -- In a fixed order, so two transactions touching the same users never wait on each other crosswise.
  for k in
    select user_id, provider,
           case when bool_or(lo is null) then null else min(lo) - 2 end as day_from,
           case when bool_or(hi is null) then null else max(hi) + 2 end as day_to
      from jsonb_to_recordset(changed) as c(user_id text, provider text, lo date, hi date)
     group by user_id, provider
     order by user_id, provider
  loop
    perform wearhouse_refresh_daily_summary(k.user_id, k.provider, k.day_from, k.day_to);
  end loop;
end;
$$;

create function wearhouse_records_daily_summary() returns trigger
  language plpgsql as $$
declare
  changed jsonb;
begin
  -- Transition tables are only visible in the function's own queries, hence one per event.
  if tg_op = 'INSERT' then
    select jsonb_agg(x) into changed from (
      select user_id, provider,
             least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as lo,
             greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as hi
        from new_rows) x;
  elsif tg_op = 'UPDATE' then
    select jsonb_agg(x) into changed from (
      select user_id, provider,
             least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as lo,
             greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as hi
        from new_rows
      union all
      select user_id, provider,
             least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date),
             greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date)
        from old_rows) x;
  else
    select jsonb_agg(x) into changed from (
      select user_id, provider,
             least(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as lo,
             greatest(local_day, (start_at at time zone 'UTC')::date, (end_at at time zone 'UTC')::date) as hi
        from old_rows) x;
  end if;
  if changed is not null then
    perform wearhouse_refresh_daily_summary_for(changed);
  end if;
  return null;
end;
$$;

create trigger records_daily_summary_insert after insert on records
  referencing new table as new_rows for each statement execute function wearhouse_records_daily_summary();
create trigger records_daily_summary_update after update on records
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_records_daily_summary();
create trigger records_daily_summary_delete after delete on records
  referencing old table as old_rows for each statement execute function wearhouse_records_daily_summary();

create function wearhouse_records_truncated() returns trigger
  language plpgsql as $$
begin
  delete from daily_summary_rollup;
  return null;
end;
$$;
create trigger records_daily_summary_truncate after truncate on records
  for each statement execute function wearhouse_records_truncated();

-- Everything from scratch: after a typed view changes what it returns (a new provider branch), and
-- once here for the rows already stored.
create function wearhouse_rebuild_daily_summary() returns void
  language plpgsql as $$
begin
  lock table daily_summary_rollup in exclusive mode;
  delete from daily_summary_rollup;
  insert into daily_summary_rollup select * from daily_summary_live;
end;
$$;

select wearhouse_rebuild_daily_summary();

-- Same columns, names and order as before; panels and analysts read this.
create view daily_summary as select * from daily_summary_rollup;

grant select on daily_summary, daily_summary_rollup to wearhouse_grafana;
