-- One lock per (provider, user bucket) before a transaction changes any across-user row of that
-- bucket (docs/views.md, "Across-user daily rows").
--
-- The across-user rows (daily_summary_across_users, sql/093, and the later across-user tables) are
-- shared by the users of a bucket. Each statement upserts its rows in a fixed order, but a
-- transaction makes several statements (a page's upsert, then a soft delete of a re-fetched span):
-- transaction A holding days 10-12 of a bucket and then wanting days 1-3, while B of the same bucket
-- holds days 1-3 and wants 10-12, deadlocked (Postgres aborted one with 40P01 and the activity
-- retried it). Now every writer first locks its bucket's row here, then touches the across-user
-- rows: two writers of one bucket take turns for the rest of the transaction instead of crossing.
--
-- A pipeline transaction writes one user and one provider, so it takes one of these locks and can
-- never wait for a second one while holding the first. A statement that writes several users takes
-- theirs in (provider, bucket) order. The table is not readable by the Grafana role, so a reader
-- cannot block a writer (an advisory lock could be taken by any role).

create table across_user_bucket_locks (
  provider text not null,
  bucket   smallint not null,
  primary key (provider, bucket)
);

-- The bucket of a user in every across-user table.
create function wearhouse_user_bucket(p_user text) returns smallint
  language sql immutable parallel safe as $$ select (hashtext(p_user) & 15)::smallint $$;

-- Locks the (provider, bucket) rows of the given pairs, in order, until the transaction ends.
create function wearhouse_lock_across_buckets(p_providers text[], p_buckets smallint[]) returns void
  language plpgsql as $$
begin
  insert into across_user_bucket_locks (provider, bucket)
  select * from unnest(p_providers, p_buckets) order by 1, 2
  on conflict do nothing;
  perform 1 from across_user_bucket_locks l
    join unnest(p_providers, p_buckets) as k(provider, bucket)
      on l.provider = k.provider and l.bucket = k.bucket
   order by l.provider, l.bucket
   for update of l;
end;
$$;

-- sql/093's trigger, now locking the buckets of the changed rows first.
create or replace function wearhouse_daily_across_users() returns trigger
  language plpgsql as $$
declare
  providers text[];
  buckets smallint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from new_rows) k;
  else
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from old_rows) k;
  end if;
  if providers is null then
    return null;
  end if;
  perform wearhouse_lock_across_buckets(providers, buckets);
  if tg_op = 'INSERT' then
    execute wearhouse_across_users_sql('select 1 as sign, n.* from new_rows n');
  else
    execute wearhouse_across_users_sql('select -1 as sign, o.* from old_rows o');
  end if;
  return null;
end;
$$;
