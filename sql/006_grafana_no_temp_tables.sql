-- The Grafana role writes nothing, temporary tables included. PUBLIC holds the TEMPORARY privilege
-- on every new database by default, which let wearhouse_grafana create temporary tables inside an
-- explicit read-write transaction (its default_transaction_read_only is only a default). The
-- database owner and superusers keep the privilege (it is implicit for them); nothing in wearhouse
-- uses temporary tables.
do $$
begin
  execute format('revoke temporary on database %I from public', current_database());
end
$$;
