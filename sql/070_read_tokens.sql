-- Read tokens for the read API (`wearhouse api-token create --user U | --all-users`; docs/read-api.md).
-- A token reads one user's data (user_id set) or every user's (all_users, for an app backend; also
-- the only kind that may read /v1/status). Only the sha256 is stored: the token is shown once.
create table read_tokens (
  id            bigserial primary key,
  user_id       text references users (id) on delete cascade,
  all_users     boolean not null default false,
  token_hash    text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  -- Exactly one scope: one user, or all of them.
  check ((user_id is null) = all_users)
);
create index read_tokens_user on read_tokens (user_id);
