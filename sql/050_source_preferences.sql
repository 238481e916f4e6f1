-- Which device or app answers each headline measure of daily_health (docs/sql-reference.md,
-- "Choosing sources"). A day's measure comes from exactly one source, never an average of
-- several: WHOOP recovery and Oura readiness are different scores, RMSSD and SDNN different HRVs,
-- and a sum over a phone and a watch counts the same walk twice.

-- The measure groups daily_health picks a source for. A group's columns always come together from
-- one source (a night's stages and its efficiency from the device that measured that night).
create table health_measures (
  measure      text primary key,
  description  text not null
);
insert into health_measures (measure, description) values
  ('sleep', 'main sleep of the night: asleep, in bed, stages (minutes), efficiency (%)'),
  ('recovery_score', '0-100 recovery or readiness score (WHOOP recovery, Oura readiness)'),
  ('hrv', 'overnight heart-rate variability in ms (RMSSD or SDNN, named in hrv_kind)'),
  ('resting_hr', 'resting heart rate in beats per minute'),
  ('steps', 'steps in the local day'),
  ('active_energy', 'active energy in kcal (above resting)'),
  ('total_energy', 'total energy expenditure in kcal (resting + active)'),
  ('workouts', 'workouts of the day: count and minutes');

-- Ranked candidates per measure: rank 1 wins. user_id null is the default list; a user with any
-- row for a measure uses only their own rows for that measure. source null = every source of the
-- provider; a row naming a source outranks the provider-wide row of the same rank.
create table source_preferences (
  id        bigserial primary key,
  user_id   text references users (id) on delete cascade,
  measure   text not null references health_measures (measure),
  provider  text not null,
  source    text,
  rank      integer not null check (rank > 0)
);
create unique index source_preferences_key
  on source_preferences (coalesce(user_id, ''), measure, provider, coalesce(lower(source), ''));

-- The default order: WHOOP for what it scores daily (recovery, HRV, resting HR, energy, workouts:
-- it is worn around the clock), Oura for sleep (finger PPG, four stages), Apple Health for steps and
-- active energy (the phone and watch count steps; the ring and strap do not, or estimate them).
insert into source_preferences (user_id, measure, provider, rank) values
  (null, 'sleep', 'oura', 1), (null, 'sleep', 'whoop', 2), (null, 'sleep', 'apple_health', 3),
  (null, 'sleep', 'junction', 4),
  (null, 'recovery_score', 'whoop', 1), (null, 'recovery_score', 'oura', 2),
  (null, 'recovery_score', 'junction', 3),
  (null, 'hrv', 'whoop', 1), (null, 'hrv', 'oura', 2), (null, 'hrv', 'apple_health', 3),
  (null, 'hrv', 'junction', 4),
  (null, 'resting_hr', 'whoop', 1), (null, 'resting_hr', 'oura', 2), (null, 'resting_hr', 'apple_health', 3),
  (null, 'resting_hr', 'junction', 4),
  (null, 'steps', 'apple_health', 1), (null, 'steps', 'oura', 2), (null, 'steps', 'junction', 3),
  (null, 'active_energy', 'apple_health', 1), (null, 'active_energy', 'oura', 2),
  (null, 'active_energy', 'junction', 3),
  (null, 'total_energy', 'whoop', 1), (null, 'total_energy', 'oura', 2), (null, 'total_energy', 'junction', 3),
  (null, 'workouts', 'whoop', 1), (null, 'workouts', 'apple_health', 2), (null, 'workouts', 'oura', 3),
  (null, 'workouts', 'junction', 4);

-- Records an aggregator holds that another provider wrote (WHOOP and Oura write into HealthKit;
-- Junction relays Oura and WHOOP): recognized by (provider, source), so the copy is not counted
-- next to the original. Matched case-insensitively on the whole source name.
create table mirrored_sources (
  provider         text not null,
  source           text not null,
  origin_provider  text not null,
  primary key (provider, source)
);
insert into mirrored_sources (provider, source, origin_provider) values
  ('apple_health', 'whoop', 'whoop'),
  ('apple_health', 'oura', 'oura'),
  ('junction', 'oura', 'oura'),
  ('junction', 'whoop', 'whoop'),
  ('junction', 'whoop_v2', 'whoop'),
  ('junction', 'apple_health_kit', 'apple_health');

-- Sample types (the `type` of the long `samples` view, whichever provider stores them) that feed a
-- daily_health_by_source column. A day's samples of one source add up for counts and energy
-- (steps, active_energy_kcal) and are averaged for rates (resting_hr_bpm, hrv_sdnn_ms).
-- `scale` converts the sample's unit to the column's (kJ -> kcal).
create table sample_measures (
  type         text not null,
  unit         text not null,
  column_name  text not null
    check (column_name in ('steps', 'active_energy_kcal', 'resting_hr_bpm', 'hrv_sdnn_ms')),
  scale        float8 not null default 1,
  primary key (type, unit)
);
insert into sample_measures (type, unit, column_name, scale) values
  ('HKQuantityTypeIdentifierStepCount', 'count', 'steps', 1),
  ('HKQuantityTypeIdentifierActiveEnergyBurned', 'kcal', 'active_energy_kcal', 1),
  ('HKQuantityTypeIdentifierActiveEnergyBurned', 'Cal', 'active_energy_kcal', 1),
  ('HKQuantityTypeIdentifierActiveEnergyBurned', 'kJ', 'active_energy_kcal', 1 / 4.184),
  ('HKQuantityTypeIdentifierRestingHeartRate', 'count/min', 'resting_hr_bpm', 1),
  ('HKQuantityTypeIdentifierHeartRateVariabilitySDNN', 'ms', 'hrv_sdnn_ms', 1);

grant select on health_measures, source_preferences, mirrored_sources, sample_measures to wearhouse_grafana;

-- The long `samples` view (one row per numeric sample: user_id, provider, source, source_id, type,
-- start_at, end_at, tz_offset, value, unit, day) belongs to the Apple Health import (sql/031), and
-- providers that store time series add their branch to it. Where that migration has not run, this
-- creates it with the same definition, so either order leaves the same view.
do $$
begin
  if to_regclass('samples') is null then
    create view samples as
      select
        r.user_id,
        r.provider,
        r.source,
        r.source_id,
        r.payload ->> 'type' as type,
        r.start_at,
        r.end_at,
        r.tz_offset,
        (r.payload ->> 'value')::float8 as value,
        r.payload ->> 'unit' as unit,
        r.local_day as day
      from records r
      where r.provider = 'apple_health' and r.kind = 'record' and r.deleted_at is null
        and jsonb_typeof(r.payload -> 'value') = 'number';
    grant select on samples to wearhouse_grafana;
  end if;
end
$$;


-- The same index the Apple Health views create (same name: whichever migration runs first makes it).
create index if not exists records_apple_health_type_start
  on records (user_id, (payload ->> 'type'), start_at)
  where provider = 'apple_health' and kind = 'record' and deleted_at is null;
