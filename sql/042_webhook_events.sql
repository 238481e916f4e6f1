-- Verified provider webhook deliveries. Unverified ones are never stored (only counted in metrics).
-- dedup_key is the sha256 of the exact body: a provider re-delivering the same event hits one row.
create table webhook_events (
  id               bigserial primary key,
  provider         text not null,
  dedup_key        text not null,
  external_user_id text,
  -- Null when no connection carries the event's external user id (status 'unmatched').
  user_id          text,
  status           text not null check (status in ('stored', 'dispatched', 'unmatched', 'invalid')),
  error            text,
  body             text not null,
  actions          jsonb not null default '[]',
  received_at      timestamptz not null default now(),
  dispatched_at    timestamptz,
  unique (provider, dedup_key)
);
create index webhook_events_pending on webhook_events (received_at) where status = 'stored';
