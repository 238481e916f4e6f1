-- Apple Health's branches of the typed views (docs/views.md): its sleeps (stages grouped per source
-- and night) and workouts join `sleeps` and `workouts` beside the other providers', matched by column
-- name (wearhouse_union_view, sql/019), each row with its `source` (the export's sourceName).
create view sleeps__apple_health as select * from apple_health_sleeps;
select wearhouse_union_view('sleeps');

create view workouts__apple_health as select * from apple_health_workouts;
select wearhouse_union_view('workouts');
