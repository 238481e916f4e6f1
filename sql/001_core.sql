-- Core tables: users, provider connections (tokens encrypted at rest), records, quarantine.

create table users (
  id          text primary key check (id ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$'),
  created_at  timestamptz not null default now()
);

-- One row per (provider, user). Tokens are AES-256-GCM ciphertexts ("<keyId>:<iv>:<tag>:<data>", base64);
-- the Grafana role is never granted this table.
create table connections (
  provider              text not null,
  user_id               text not null references users (id) on delete cascade,
  status                text not null default 'active'
                          check (status in ('active', 'reauth_required', 'disconnected')),
  status_reason         text,
  access_token_enc      text,
  refresh_token_enc     text,
  access_expires_at     timestamptz,
  token_version         integer not null default 0,
  last_refreshed_at     timestamptz,
  external_user_id      text,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  primary key (provider, user_id)
);

-- One row per provider record, payload kept whole (unknown fields included).
create table records (
  provider             text not null,
  user_id              text not null,
  kind                 text not null,
  source_id            text not null,
  start_at             timestamptz,
  end_at               timestamptz,
  tz_offset            text,
  -- The day the record belongs to in the wearer's own timezone (start instant shifted by tz_offset).
  local_day            date,
  provider_updated_at  timestamptz,
  payload              jsonb not null,
  first_ingested_at    timestamptz not null default now(),
  last_changed_at      timestamptz not null default now(),
  deleted_at           timestamptz,
  primary key (provider, user_id, kind, source_id)
);
-- Panels ask for one user's records of one kind over a time range.
create index records_user_kind_start on records (user_id, kind, start_at);
create index records_user_kind_day on records (user_id, kind, local_day);
create index records_last_changed on records (last_changed_at);

-- Records that failed validation: kept with the reason, never silently dropped.
create table quarantine (
  id           bigserial primary key,
  -- Same bad record met again (a re-run window) is one row, seen_count goes up.
  fingerprint  text not null unique,
  seen_count   integer not null default 1,
  last_seen_at timestamptz not null default now(),
  provider     text not null,
  user_id      text not null,
  kind         text not null,
  source_id    text,
  reason       text not null,
  payload      jsonb,
  workflow_id  text,
  created_at   timestamptz not null default now()
);
create index quarantine_user on quarantine (provider, user_id, kind, created_at);
