-- Hosted connect (`/oauth/<provider>/start` → provider → `/oauth/<provider>/callback`): one row per
-- login in progress. The state is stored hashed, used once, and expires; the PKCE verifier is
-- encrypted like tokens are.
create table oauth_states (
  state_hash        text primary key check (state_hash ~ '^[0-9a-f]{64}$'),
  provider          text not null,
  user_id           text not null references users (id) on delete cascade,
  code_verifier_enc text not null,
  redirect_uri      text not null,
  created_at        timestamptz not null default now(),
  expires_at        timestamptz not null,
  used_at           timestamptz
);
