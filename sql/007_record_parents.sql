-- Records without times of their own (a WHOOP recovery) take them from a parent record (its cycle).
-- The parent reference is kept, so a child stored before its parent gets its times as soon as the
-- parent arrives, and so takes part in span-based deletion detection like every other record.
alter table records add column parent_kind text, add column parent_source_id text;
create index records_orphans on records (provider, user_id, parent_kind, parent_source_id)
  where start_at is null and parent_kind is not null;
