-- One file-import batch in ONE statement (docs/apple-health.md, "How it is stored").
--
-- A batch used to be a transaction of about nine statements (begin, claim, defer, temp table, COPY,
-- INSERT…SELECT, quarantine, ledger advance, commit), each a round trip in which the importer and
-- Postgres waited on each other. This function does the same work in one call, atomically (a
-- statement is its own transaction): it claims the ledger's position, upserts the records, keeps the
-- quarantined elements and advances the ledger, and returns the ledger row. The caller dedupes the
-- batch by key beforehand (the last copy wins) and counts the duplicates itself.
--
-- p_records: [{kind, source_id, start_at, end_at, tz_offset, local_day, provider_updated_at, source,
--              payload}]; p_quarantine: [{fingerprint, kind, source_id, reason, payload, seen_count}]
-- (store/records.ts quarantineRows). Raises SQLSTATE WH409 when the committed position is no longer
-- p_from (another attempt of the same import stored that batch first): nothing of the batch is kept.

create function wearhouse_import_batch(
  p_run_id text, p_from bigint, p_to bigint, p_provider text, p_user_id text, p_workflow_id text,
  p_records jsonb, p_quarantine jsonb,
  p_elements integer, p_read integer, p_duplicates integer, p_quarantined integer, p_routes integer
) returns setof file_imports
  language plpgsql as $$
declare
  v_distinct integer := jsonb_array_length(p_records);
  v_inserted integer := 0;
  v_updated integer := 0;
begin
  -- The claim: the row stays locked until this statement commits, so of two attempts resuming from
  -- one position the second waits, then finds the position moved (READ COMMITTED re-reads the row).
  perform 1 from file_imports
   where run_id = p_run_id and byte_offset = p_from and status = 'running'
     for update;
  if not found then
    raise exception 'import %: the committed position is no longer % (another attempt moved on)',
      p_run_id, p_from using errcode = 'WH409';
  end if;
  -- A batch spans many days of one user: the records trigger only marks them, and the importer
  -- recomputes them once per slice (sql/083_daily_summary_deferred.sql).
  perform set_config('wearhouse.defer_daily_rollup', 'on', true);
  -- The commit does not wait for its WAL flush. Safe here: the ledger's position commits with the
  -- records in this one transaction, so a Postgres crash that loses the last batches loses their
  -- position too, and the retried slice stores them again from the position that survived.
  perform set_config('synchronous_commit', 'off', true);
  if v_distinct > 0 then
    with upserted as (
      insert into records as r (provider, user_id, kind, source_id, start_at, end_at, tz_offset, local_day,
                                provider_updated_at, source, payload)
      select p_provider, p_user_id, x.kind, x.source_id, x.start_at, x.end_at, x.tz_offset, x.local_day,
             x.provider_updated_at, x.source, x.payload
        from jsonb_to_recordset(p_records) as x(kind text, source_id text, start_at timestamptz,
             end_at timestamptz, tz_offset text, local_day date, provider_updated_at timestamptz,
             source text, payload jsonb)
      on conflict (provider, user_id, kind, source_id) do update set
        start_at = excluded.start_at, end_at = excluded.end_at, tz_offset = excluded.tz_offset,
        local_day = excluded.local_day, provider_updated_at = excluded.provider_updated_at,
        source = excluded.source, payload = excluded.payload, last_changed_at = now(), deleted_at = null
      where r.payload is distinct from excluded.payload or r.deleted_at is not null
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted), count(*) filter (where not inserted)
      into v_inserted, v_updated
      from upserted;
  end if;
  if jsonb_array_length(p_quarantine) > 0 then
    insert into quarantine (fingerprint, provider, user_id, kind, source_id, reason, payload, workflow_id, seen_count)
    select q.fingerprint, p_provider, p_user_id, q.kind, q.source_id, q.reason, q.payload, p_workflow_id, q.seen_count
      from jsonb_to_recordset(p_quarantine)
        as q(fingerprint text, kind text, source_id text, reason text, payload jsonb, seen_count integer)
    on conflict (fingerprint) do update set
      seen_count = quarantine.seen_count + excluded.seen_count, last_seen_at = now();
  end if;
  return query
    update file_imports set
      byte_offset = p_to, elements = elements + p_elements, records = records + p_read,
      inserted = inserted + v_inserted, updated = updated + v_updated,
      unchanged = unchanged + (v_distinct - v_inserted - v_updated), duplicates = duplicates + p_duplicates,
      quarantined = quarantined + p_quarantined, routes = routes + p_routes, updated_at = now()
    where run_id = p_run_id
    returning *;
end;
$$;
