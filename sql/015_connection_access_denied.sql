-- A connection the provider refuses though its grant is valid (Oura 403: the user's membership expired
-- or a data type is not consented). Not a revocation: the tokens stay, the schedule pauses, the reason
-- is kept in status_reason (shown by `wearhouse status` and the pipeline dashboard), and reconnecting
-- (`wearhouse connect`) makes it active again.
alter table connections drop constraint if exists connections_status_check;
alter table connections add constraint connections_status_check
  check (status in ('active', 'reauth_required', 'access_denied', 'disconnected'));
