-- Token refresh without a held lock (activities/tokens.ts; docs/operating.md, "Token refresh"):
-- a refresh claims a short lease on the connection row in one autocommit UPDATE, calls the provider
-- outside any transaction, and commits the new pair with a compare-and-set on token_version.
--   refresh_lease_owner/until: who is refreshing and until when (renewed while the call lasts; a
--     crashed holder's lease simply runs out).
--   access_issued_at: when the current access token was issued, so refresh-ahead can be a share of
--     the token's lifetime instead of a fixed two minutes.
--   refresh_uncertain_at: a refresh request was sent but its answer never arrived, so the provider
--     may have rotated (spent) the refresh token we still hold: a later invalid_grant is then a lost
--     rotation, reported as such, not a revocation by the user.
alter table connections
  add column refresh_lease_owner text,
  add column refresh_lease_until timestamptz,
  add column access_issued_at timestamptz,
  add column refresh_uncertain_at timestamptz;

-- The per-day request budget from configuration (<PROVIDER>_REQUESTS_PER_DAY), shared by every
-- worker like the per-minute one (sql/004_rate_budget.sql): one counter per provider and UTC day,
-- incremented atomically per request (providers/rate-budget.ts). Not granted to the Grafana role.
create table rate_budget_daily (
  provider  text not null,
  day       date not null,
  requests  integer not null,
  primary key (provider, day)
);
