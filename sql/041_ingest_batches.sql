-- Pushed batches, stored raw before anything else happens (write-through): a 2xx answer means the
-- row is committed. Normalization into `records` happens afterwards (workflow normalizeIngestBatch)
-- and can be replayed from here at any time. The same bytes sent again by the same user are one row.
create table ingest_batches (
  id              bigserial primary key,
  user_id         text not null references users (id) on delete cascade,
  provider        text not null,
  format          text not null,
  payload_hash    text not null check (payload_hash ~ '^[0-9a-f]{64}$'),
  payload         bytea not null,
  bytes           integer not null,
  -- Sender's batch grouping (Health Auto Export's session-id header) and automation headers.
  session_id      text,
  headers         jsonb not null default '{}',
  received_at     timestamptz not null default now(),
  normalized_at   timestamptz,
  normalize_error text,
  records         integer,
  unique (user_id, payload_hash)
);
-- The sweeper and the ingest-lag metric look for batches not normalized yet.
create index ingest_batches_pending on ingest_batches (received_at) where normalized_at is null;
