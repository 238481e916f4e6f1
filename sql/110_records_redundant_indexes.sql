-- Three of records' indexes serve no query (docs/views.md, "Indexes of records"), and every index is
-- work for every stored row: a 1 GB Apple Health export stores two million rows, and Postgres' share
-- of that import is mostly index maintenance (bench/apple-health/REPORT.md, section 5).
--   * records_user_kind_start (001) is records_live_user_kind_start (005) plus deleted rows: every
--     read of records by user, kind and start (the views, the panels through them, the read API,
--     span deletion, pipeline_freshness) also asks for deleted_at is null, which the partial one
--     serves.
--   * records_last_changed (001): nothing reads records by last_changed_at alone; pipeline_freshness'
--     newest change per (provider, user, kind) is records_freshness (005).
--   * records_live_user_kind_end (005): nothing filters or orders records by end_at.
drop index if exists records_user_kind_start;
drop index if exists records_last_changed;
drop index if exists records_live_user_kind_end;
