-- The Grafana role, tightened (sql/003_grafana_role.sql made it; this adds what a review found missing).
--
-- What Postgres can and cannot enforce for a role (PostgreSQL 17/18):
--   * statement_timeout, default_transaction_read_only, idle_in_transaction_session_timeout and
--     lock_timeout are user-level parameters: any role may SET them in its own session, and may
--     ALTER ROLE its own defaults (after `begin read write`). No privilege takes that away; GRANT /
--     REVOKE SET ON PARAMETER only governs superuser-level parameters. So these are session defaults.
--   * What this migration makes hold anyway: every login of wearhouse_grafana into this database runs
--     a login event trigger that pins the limits for the new session, so defaults the role altered for
--     itself have no effect on later sessions. Creating an event trigger needs a superuser and
--     PostgreSQL 17 or later; elsewhere the trigger is skipped with a notice and the role defaults
--     below are what applies.
--   * What never depended on these settings: the role can write nothing (SELECT grants only, no
--     TEMPORARY: sql/006), read no tokens (connection_status view only), and cannot block
--     `wearhouse migrate`, which now serialises on a lock of schema_migrations (store/migrate.ts), a
--     table the role has no privilege on, instead of an advisory lock any role may take.

-- A Grafana transaction left open (a broken client, a hand-run `begin`) must not hold its locks and
-- its connection for ever, nor make a migration's DDL queue behind it. A run of statements, each under
-- the statement timeout, still ends within a minute (transaction_timeout, PostgreSQL 17+).
-- The role is cluster-wide: settings already in place are left alone, so that many databases
-- migrating at once (the test suite) do not all rewrite the same catalog row.
do $$
declare
  wanted text[] := array['idle_in_transaction_session_timeout=30s', 'lock_timeout=5s',
                         'statement_timeout=10s', 'default_transaction_read_only=on'];
  have text[];
  setting text;
begin
  if current_setting('server_version_num')::int >= 170000 then
    wanted := wanted || 'transaction_timeout=60s'::text;
  end if;
  select setconfig into have from pg_db_role_setting
   where setrole = 'wearhouse_grafana'::regrole and setdatabase = 0;
  foreach setting in array wanted loop
    if have is null or not (setting = any (have)) then
      execute format('alter role wearhouse_grafana set %I = %L',
                     split_part(setting, '=', 1), split_part(setting, '=', 2));
    end if;
  end loop;
end
$$;

create or replace function wearhouse_grafana_session_limits() returns event_trigger
  language plpgsql set search_path = pg_catalog
as $$
begin
  if session_user = 'wearhouse_grafana' then
    perform set_config('statement_timeout', '10s', false);
    perform set_config('default_transaction_read_only', 'on', false);
    perform set_config('idle_in_transaction_session_timeout', '30s', false);
    perform set_config('lock_timeout', '5s', false);
    if current_setting('server_version_num')::int >= 170000 then
      perform set_config('transaction_timeout', '60s', false);
    end if;
  end if;
end
$$;

do $$
begin
  if current_setting('server_version_num')::int >= 170000
     and (select rolsuper from pg_roles where rolname = current_user) then
    execute 'create event trigger wearhouse_grafana_session_limits on login
               execute function wearhouse_grafana_session_limits()';
  else
    raise notice 'wearhouse_grafana: login trigger skipped (needs a superuser and PostgreSQL 17+); '
                 'its limits are role defaults only';
  end if;
end
$$;
