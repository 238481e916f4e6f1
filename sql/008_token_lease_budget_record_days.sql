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

-- records.local_day as the typed views compute `day` (providers/whoop/mapping.ts, recordDay): a WHOOP
-- cycle belongs to the day of its waking hours (start + 12 h), a sleep to the day its wearer woke
-- up. It used to be the start's date for both, so an evening cycle sat on the day before its view
-- row, and so did the recovery that takes its times from that cycle.
update records
   set local_day = wearhouse_cycle_day(start_at, tz_offset)
 where provider = 'whoop' and kind = 'cycle' and start_at is not null
   and local_day is distinct from wearhouse_cycle_day(start_at, tz_offset);
update records
   set local_day = wearhouse_local(coalesce(end_at, start_at), tz_offset)::date
 where provider = 'whoop' and kind = 'sleep' and start_at is not null
   and local_day is distinct from wearhouse_local(coalesce(end_at, start_at), tz_offset)::date;
update records r
   set local_day = c.local_day
  from records c
 where r.provider = 'whoop' and r.kind = 'recovery' and r.parent_kind = 'cycle'
   and c.provider = r.provider and c.user_id = r.user_id and c.kind = 'cycle'
   and c.source_id = r.parent_source_id
   and r.local_day is distinct from c.local_day;

-- The recoveries view takes the same day when its cycle row is not joined: its WHOOP branch in
-- sql/016_provider_view_branches.sql (the view is rebuilt from per-provider branches there).
