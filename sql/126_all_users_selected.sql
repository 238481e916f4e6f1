-- Whether a panel's $user selection is every user ("All"), as one function call (docs/dashboards.md,
-- "Many users"; grafana/src/common.ts ALL_USERS).
--
-- Panels gate their arms (one user, some users, every user) on this test. Written inline it put the
-- selection's array literal into a scan of `users` in every arm: with 1,000 users selected the
-- planner estimated each of the 1,000 values for each arm, and a gated-off arm could still be planned
-- as a parallel scan whose workers were launched before the gate was read (tens of milliseconds
-- each). As a function it is planned once, and `parallel restricted` keeps the gate above any
-- parallel scan: an arm that is off starts no workers.

create function wearhouse_selects_all_users(p_users text[]) returns boolean
  language sql stable parallel restricted as $$
  select cardinality(p_users) > 1
     and (select count(*) from users where id = any(p_users)) >= (select count(*) from users)
$$;

grant execute on function wearhouse_selects_all_users(text[]) to wearhouse_grafana;
