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

-- The recoveries view, as in sql/005_views.sql except its day: when the cycle row is not joined
-- (deleted, or not stored yet) the cycle's times kept on the recovery give the cycle's day the same
-- way (start + 12 h), instead of records.local_day, which held the start's date and so put
-- recoveries of evening cycles on the day before.
create or replace view recoveries as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.payload ->> 'cycle_id' as cycle_source_id,
    r.payload ->> 'sleep_id' as sleep_source_id,
    coalesce(c.start_at, r.start_at, s.end_at, (r.payload ->> 'created_at')::timestamptz) as start_at,
    coalesce(c.end_at, r.end_at) as end_at,
    coalesce(s.end_at, (r.payload ->> 'created_at')::timestamptz) as scored_at,
    coalesce(c.tz_offset, s.tz_offset, r.tz_offset) as tz_offset,
    coalesce(
      wearhouse_cycle_day(c.start_at, c.tz_offset),
      wearhouse_cycle_day(r.start_at, r.tz_offset),
      wearhouse_local(s.end_at, s.tz_offset)::date,
      wearhouse_local((r.payload ->> 'created_at')::timestamptz, r.tz_offset)::date
    ) as day,
    r.payload ->> 'score_state' as score_state,
    (r.payload -> 'score' ->> 'user_calibrating')::boolean as user_calibrating,
    (r.payload -> 'score' ->> 'recovery_score')::float8 as recovery_pct,
    -- WHOOP's bands: 0-33 red, 34-66 yellow, 67-100 green.
    case
      when (r.payload -> 'score' ->> 'recovery_score') is null then null
      when (r.payload -> 'score' ->> 'recovery_score')::float8 < 34 then 'red'
      when (r.payload -> 'score' ->> 'recovery_score')::float8 < 67 then 'yellow'
      else 'green'
    end as band,
    (r.payload -> 'score' ->> 'hrv_rmssd_milli')::float8 as hrv_ms,
    (r.payload -> 'score' ->> 'resting_heart_rate')::float8 as resting_hr_bpm,
    (r.payload -> 'score' ->> 'spo2_percentage')::float8 as spo2_pct,
    (r.payload -> 'score' ->> 'skin_temp_celsius')::float8 as skin_temp_c,
    r.provider_updated_at as updated_at
  from records r
  left join records c
    on c.provider = r.provider and c.user_id = r.user_id and c.kind = 'cycle'
    and c.source_id = r.payload ->> 'cycle_id' and c.deleted_at is null
  left join records s
    on s.provider = r.provider and s.user_id = r.user_id and s.kind = 'sleep'
    and s.source_id = r.payload ->> 'sleep_id' and s.deleted_at is null
  where r.provider = 'whoop' and r.kind = 'recovery' and r.deleted_at is null;
