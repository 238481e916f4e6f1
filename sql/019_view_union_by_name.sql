-- Typed views stay the `union all` of their provider branches (`<view>__<provider>`, sql/016), but
-- branches are matched by column NAME, not position: a branch may lack a measure (null there) or add
-- one (appended to the typed view, null for the other branches). Providers written apart (WHOOP,
-- Oura, Junction, Apple Health) then compose whatever their column order, and a new column such as
-- `source` (the device or app behind an aggregator's record) reaches the typed view from the branch
-- that has it. Existing columns keep their names, types and order, as `create or replace view` needs.
create or replace function wearhouse_union_view(view_name text) returns void
  language plpgsql as $$
declare
  branch record;
  col record;
  columns text[] := '{}';
  types text[] := '{}';
  selects text[] := '{}';
  select_list text;
  pattern text := '^' || view_name || '__[a-z0-9_]+$';
begin
  -- The typed view's own columns first (when it exists), in order, with their types.
  for col in
    select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a
     where a.attrelid = to_regclass(quote_ident(view_name)) and a.attnum > 0 and not a.attisdropped
     order by a.attnum
  loop
    columns := columns || col.name;
    types := types || col.type;
  end loop;
  -- Then whatever a branch adds, in branch order.
  for col in
    select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where c.relkind = 'v' and c.relname ~ pattern
     order by c.relname, a.attnum
  loop
    if not col.name = any (columns) then
      columns := columns || col.name;
      types := types || col.type;
    end if;
  end loop;
  -- Every typed view has `source` (docs/views.md): null where no branch knows the device or app.
  if not 'source' = any (columns) then
    columns := columns || 'source'::text;
    types := types || 'text'::text;
  end if;
  for branch in
    select c.oid, c.relname::text as name
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
     where c.relkind = 'v' and c.relname ~ pattern
     order by c.relname
  loop
    select string_agg(
             case when exists (select 1 from pg_attribute a where a.attrelid = branch.oid
                                 and a.attname = columns[i] and a.attnum > 0 and not a.attisdropped)
                  then format('b.%I::%s as %I', columns[i], types[i], columns[i])
                  else format('null::%s as %I', types[i], columns[i]) end,
             ', ' order by i)
      into select_list
      from generate_subscripts(columns, 1) as i;
    selects := selects || format('select %s from %I b', select_list, branch.name);
  end loop;
  if cardinality(selects) = 0 then
    raise exception 'view % has no provider branch (%__<provider>)', view_name, view_name;
  end if;
  execute format('create or replace view %I as %s', view_name, array_to_string(selects, ' union all '));
  execute format('grant select on %I to wearhouse_grafana', view_name);
end;
$$;

-- Rebuild every typed view that has branches: each gains `source`.
select wearhouse_union_view(v)
  from unnest(array['sleeps', 'cycles', 'recoveries', 'workouts', 'readiness', 'sleep_scores',
                    'daily_activity', 'daily_stress', 'daily_spo2', 'heart_rate']) as v
 where exists (select 1 from pg_class c where c.relkind = 'v' and c.relname ~ ('^' || v || '__'));
