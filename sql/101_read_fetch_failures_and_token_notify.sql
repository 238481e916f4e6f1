-- The read API (docs/read-api.md): a failed fetch is shown, and read tokens can be cached by serve.
--
-- read_fetch_failures: the last failure of a user's `readFetch` workflow per provider, written by the
-- workflow itself before it fails (activity recordReadFetchFailure). While it is recent, /daily answers
-- that provider's missing days `failed` with the reason and a Retry-After instead of starting the same
-- fetch again; after that a read starts a new fetch (a later read retries).
create table read_fetch_failures (
  user_id     text not null,
  provider    text not null,
  failed_at   timestamptz not null default now(),
  -- The failure's type (ProviderClientError, InvalidInput, ...) and message, as the workflow saw them:
  -- a provider's answer described, never a credential.
  error_type  text not null,
  reason      text not null,
  workflow_id text not null,
  primary key (user_id, provider)
);

-- serve keeps live read tokens in memory for a bounded time (serve/read-token-cache.ts); every
-- change to a token's scope or revocation tells it at once, whatever changed it (the CLI, SQL by
-- hand, a deleted user's cascade). last_used_at is not listed: its once-a-minute update changes nothing
-- a cached token stands for.
create function wearhouse_read_tokens_changed() returns trigger
  language plpgsql as $$
begin
  perform pg_notify('wearhouse_read_tokens', '');
  return null;
end;
$$;
create trigger read_tokens_changed after update of revoked_at, token_hash, user_id, all_users on read_tokens
  for each statement execute function wearhouse_read_tokens_changed();
create trigger read_tokens_deleted after delete or truncate on read_tokens
  for each statement execute function wearhouse_read_tokens_changed();
