-- The provider interface (docs/architecture.md, "The provider contract").

-- A connection's user id at the provider (the Junction user id; the Oura or WHOOP user id when
-- known): webhooks name users by it, so one provider user maps to at most one local user.
create unique index connections_provider_external_user
  on connections (provider, external_user_id) where external_user_id is not null;

-- The device or app that measured a record, for providers that aggregate several sources.
-- Keys stay (provider, user_id, kind, source_id).
alter table records add column source text;

-- Every provider the worker knows, with the app-wide budget its configuration grants; upserted at
-- worker start (store/providers.ts). Generic dashboards read provider names and budgets here
-- instead of naming providers.
create table providers (
  name                 text primary key,
  display_name         text not null,
  requests_per_minute  integer not null check (requests_per_minute > 0),
  requests_per_day     integer check (requests_per_day > 0),
  updated_at           timestamptz not null default now()
);
grant select on providers to wearhouse_grafana;
