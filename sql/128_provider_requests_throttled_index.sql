-- The "429s and 5xx" panel (grafana/src/pipeline.ts) reads the request ledger's rejected and failed
-- minutes in the range. Without an index for them it scanned every per-minute counter (170,000 rows
-- for a month, 30-130 ms) to find about a hundred. Only rejected and failed requests enter this
-- partial index, so the ledger's writes of successful requests do not touch it.
create index provider_requests_throttled on provider_requests (minute)
  where status = 429 or status >= 500;
