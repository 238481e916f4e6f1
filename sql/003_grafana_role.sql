-- The role Grafana reads through: SELECT on views and pipeline tables, nothing holding credentials,
-- no writes, and a statement timeout. Its password is set by `wearhouse migrate` from
-- GRAFANA_DB_PASSWORD (never stored in a migration).
do $$
begin
  if not exists (select from pg_roles where rolname = 'wearhouse_grafana') then
    create role wearhouse_grafana login nosuperuser nocreatedb nocreaterole noinherit;
  end if;
end
$$;
alter role wearhouse_grafana set statement_timeout = '10s';
alter role wearhouse_grafana set default_transaction_read_only = on;

revoke all on all tables in schema public from wearhouse_grafana;
grant usage on schema public to wearhouse_grafana;
grant select on records, coverage, sync_watermarks, sync_runs, provider_requests, quarantine, users
  to wearhouse_grafana;

-- Connection state without the token columns, for freshness panels. The role gets this view and
-- never the connections table itself.
create view connection_status as
  select provider, user_id, status, status_reason, access_expires_at, last_refreshed_at, created_at, updated_at
  from connections;
grant select on connection_status to wearhouse_grafana;
