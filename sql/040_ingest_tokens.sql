-- Per-user ingest tokens for push sources (`wearhouse ingest-token create --user U`). Only the
-- sha256 of a token is stored: the token itself is shown once and cannot be recovered from here.
create table ingest_tokens (
  id            bigserial primary key,
  user_id       text not null references users (id) on delete cascade,
  token_hash    text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
create index ingest_tokens_user on ingest_tokens (user_id);
