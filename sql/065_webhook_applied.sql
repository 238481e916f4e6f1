-- A verified webhook whose events were all applied in the transaction that stored it (documents it
-- carried upserted, deletions soft-deleted) has nothing for Temporal to do: status 'applied'.
alter table webhook_events drop constraint webhook_events_status_check;
alter table webhook_events add constraint webhook_events_status_check
  check (status in ('stored', 'dispatched', 'applied', 'unmatched', 'invalid'));
