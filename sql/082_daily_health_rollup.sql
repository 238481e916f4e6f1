-- daily_health_by_source kept as rows too (docs/views.md, "Stored daily rows"), by the same records
-- trigger as daily_summary (sql/080_daily_summary_rollup.sql), and daily_health ranked over them.
-- Computed per read, daily_health took 100-300 ms for one user and 0.3-1 s for twenty (every
-- typed view and the samples view grouped by a per-row `day`, bench/REPORT.md).
--   * daily_health_by_source_live is the former definition (renamed, unchanged): the reference.
--   * daily_health_by_source_rollup holds its rows; daily_health_by_source is a view over it with the
--     same name, columns and meaning.
--   * daily_health keeps its definition; it now reads the stored rows. Its ranking by
--     source_preferences stays per read, so a preference change shows at once.
-- Rows depend on records (the trigger), and on mirrored_sources and sample_measures (small lookup
-- tables: a change to either recomputes everything). The Apple Health "bridges" in the live view
-- step aside whenever the typed views hold Apple Health rows for the user, which they do as soon as
-- the records the bridges read exist (sql/032), so a bridge never changes days outside the range the
-- trigger recomputes.

alter view daily_health_by_source rename to daily_health_by_source_live;

create table daily_health_by_source_rollup as select * from daily_health_by_source_live with no data;
create index daily_health_by_source_rollup_user_day on daily_health_by_source_rollup (user_id, day);
create index daily_health_by_source_rollup_day on daily_health_by_source_rollup (day);

create view daily_health_by_source as select * from daily_health_by_source_rollup;

-- daily_health was bound to the view now named daily_health_by_source_live: the same text, pointed
-- at the stored rows.
do $$
declare
  def text := pg_get_viewdef('daily_health'::regclass);
begin
  if position('daily_health_by_source_live' in def) = 0 then
    raise exception 'daily_health does not read daily_health_by_source: %', def;
  end if;
  execute 'create or replace view daily_health as '
    || replace(def, 'daily_health_by_source_live', 'daily_health_by_source');
end;
$$;

create or replace function wearhouse_refresh_daily_summary(p_user text, p_provider text, p_from date, p_to date)
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
  delete from daily_health_by_source_rollup
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
  insert into daily_health_by_source_rollup
  select * from daily_health_by_source_live
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
end;
$$;

-- Everything again, one user and provider at a time: the _live views are planned for one user's
-- rows (their filters reach the records indexes); grouped over every user at once, the per-row
-- days and the recovery joins cost far more.
create or replace function wearhouse_rebuild_daily_summary() returns void
  language plpgsql as $$
declare
  k record;
begin
  lock table daily_summary_rollup, daily_health_by_source_rollup in exclusive mode;
  delete from daily_summary_rollup;
  delete from daily_health_by_source_rollup;
  for k in select distinct user_id, provider from records order by 1, 2 loop
    perform wearhouse_refresh_daily_summary(k.user_id, k.provider, null, null);
  end loop;
end;
$$;

create or replace function wearhouse_records_truncated() returns trigger
  language plpgsql as $$
begin
  delete from daily_summary_rollup;
  delete from daily_health_by_source_rollup;
  return null;
end;
$$;

create function wearhouse_daily_lookups_changed() returns trigger
  language plpgsql as $$
begin
  perform wearhouse_rebuild_daily_summary();
  return null;
end;
$$;
create trigger mirrored_sources_daily after insert or update or delete or truncate on mirrored_sources
  for each statement execute function wearhouse_daily_lookups_changed();
create trigger sample_measures_daily after insert or update or delete or truncate on sample_measures
  for each statement execute function wearhouse_daily_lookups_changed();

select wearhouse_rebuild_daily_summary();

grant select on daily_health_by_source, daily_health_by_source_rollup, daily_health to wearhouse_grafana;
