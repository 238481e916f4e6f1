-- sleeps, workouts and recoveries kept as rows for the dashboards (docs/views.md, "Stored typed rows").
--
-- The typed views compute every column, `day` included, per record from its JSONB at query time, so
-- a panel's day filter cannot use an index: with "All" users selected every user's whole history
-- was parsed on each refresh (1-6 s at 100 users x 5 years, bench/REPORT.md section 4). The views
-- stay as they are (the reference, and what daily_summary_live and daily_health read); the tables
-- below hold their rows with an index on `day`, and the panels read the tables.
--
-- Maintained where daily_summary_rollup is (sql/080, sql/083): every refresh of a user's, provider's
-- days deletes and inserts that range of daily_summary_rollup, and statement triggers on those two
-- statements redo the same days here:
--   * after the delete: the stored typed rows of the deleted rows' days go;
--   * after the insert: the typed rows of the inserted rows' days are read again from the views.
-- That covers every changed day: daily_summary has a row for a day exactly when one of these views
-- has a row with that day (it is their union grouped by day, rows without a day left out), so a day
-- that keeps or gains typed rows is inserted again, and a day that loses all of them was deleted.
-- Whatever recomputes daily_summary_rollup (the records trigger, a deferred import's refresh, a
-- full rebuild, a truncate of records) thereby recomputes these too, in the same transaction.
-- Typed rows without a day (no time at all) are not stored: no panel could show them.

create table sleeps_stored as select * from sleeps with no data;
create table workouts_stored as select * from workouts with no data;
create table recoveries_stored as select * from recoveries with no data;

create index sleeps_stored_user_day on sleeps_stored (user_id, provider, day);
create index sleeps_stored_day on sleeps_stored (day);
create index workouts_stored_user_day on workouts_stored (user_id, provider, day);
create index workouts_stored_day on workouts_stored (day);
create index recoveries_stored_user_day on recoveries_stored (user_id, provider, day);
create index recoveries_stored_day on recoveries_stored (day);
-- Naps, the workout log, sports and zones filter by start time.
create index sleeps_stored_start on sleeps_stored (start_at);
create index workouts_stored_start on workouts_stored (start_at);

-- One function per view with the table's columns named (a later branch that adds a column to the
-- view keeps working: the new column is not stored until a migration adds it to the table).
do $$
declare
  v text;
  cols text;
begin
  foreach v in array array['sleeps', 'workouts', 'recoveries'] loop
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum)
      into cols
      from pg_attribute a
     where a.attrelid = (v || '_stored')::regclass and a.attnum > 0 and not a.attisdropped;
    execute format($f$
      create function %I(p_user text, p_provider text, p_from date, p_to date) returns void
        language plpgsql as $body$
      begin
        delete from %I
         where user_id = p_user and provider = p_provider and day between p_from and p_to;
        insert into %I (%s)
        select %s from %I
         where user_id = p_user and provider = p_provider and day between p_from and p_to;
      end;
      $body$
    $f$,
      'wearhouse_store_' || v, v || '_stored', v || '_stored', cols, cols, v);
  end loop;
end;
$$;

create function wearhouse_daily_rows_deleted() returns trigger
  language plpgsql as $$
declare
  k record;
begin
  for k in
    select user_id, provider, min(day) as lo, max(day) as hi
      from old_rows group by user_id, provider order by user_id, provider
  loop
    delete from sleeps_stored
     where user_id = k.user_id and provider = k.provider and day between k.lo and k.hi;
    delete from workouts_stored
     where user_id = k.user_id and provider = k.provider and day between k.lo and k.hi;
    delete from recoveries_stored
     where user_id = k.user_id and provider = k.provider and day between k.lo and k.hi;
  end loop;
  return null;
end;
$$;

create function wearhouse_daily_rows_inserted() returns trigger
  language plpgsql as $$
declare
  k record;
begin
  for k in
    select user_id, provider, min(day) as lo, max(day) as hi
      from new_rows group by user_id, provider order by user_id, provider
  loop
    perform wearhouse_store_sleeps(k.user_id, k.provider, k.lo, k.hi);
    perform wearhouse_store_workouts(k.user_id, k.provider, k.lo, k.hi);
    perform wearhouse_store_recoveries(k.user_id, k.provider, k.lo, k.hi);
  end loop;
  return null;
end;
$$;

create trigger daily_summary_rollup_typed_delete after delete on daily_summary_rollup
  referencing old table as old_rows for each statement execute function wearhouse_daily_rows_deleted();
create trigger daily_summary_rollup_typed_insert after insert on daily_summary_rollup
  referencing new table as new_rows for each statement execute function wearhouse_daily_rows_inserted();

create function wearhouse_daily_rows_truncated() returns trigger
  language plpgsql as $$
begin
  delete from sleeps_stored;
  delete from workouts_stored;
  delete from recoveries_stored;
  return null;
end;
$$;
create trigger daily_summary_rollup_typed_truncate after truncate on daily_summary_rollup
  for each statement execute function wearhouse_daily_rows_truncated();

-- The rows already stored.
insert into sleeps_stored select * from sleeps where day is not null;
insert into workouts_stored select * from workouts where day is not null;
insert into recoveries_stored select * from recoveries where day is not null;

grant select on sleeps_stored, workouts_stored, recoveries_stored to wearhouse_grafana;
