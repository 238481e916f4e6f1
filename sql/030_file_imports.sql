-- File imports (Apple Health exports): one row per import workflow run, updated in the same
-- transaction as each batch of records it stores, so its position and counts are exactly what is
-- committed. A retried activity resumes from `byte_offset`; the counts then still add up to one
-- uninterrupted import.

-- The device/app that measured a record (Apple's sourceName). The provider-interface migration adds
-- the same column; whichever runs first creates it.
alter table records add column if not exists source text;

create table file_imports (
  run_id        text primary key,
  workflow_id   text not null,
  provider      text not null,
  user_id       text not null,
  path          text not null,
  -- 'zip' | 'xml', the export's name inside the container, its uncompressed size.
  container     text,
  xml_name      text,
  xml_bytes     bigint,
  -- Committed position: every top-level element before this byte of the XML is stored.
  byte_offset   bigint not null default 0,
  elements      bigint not null default 0,
  records       bigint not null default 0,
  inserted      bigint not null default 0,
  updated       bigint not null default 0,
  unchanged     bigint not null default 0,
  -- Exact duplicates inside one batch (the same sample twice in the file): stored once.
  duplicates    bigint not null default 0,
  quarantined   bigint not null default 0,
  routes        bigint not null default 0,
  attempts      integer not null default 0,
  status        text not null default 'running' check (status in ('running', 'completed', 'failed')),
  error         text,
  started_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  finished_at   timestamptz
);
create index file_imports_user on file_imports (provider, user_id, started_at);

grant select on file_imports to wearhouse_grafana;
