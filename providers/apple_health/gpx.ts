// Workout routes: the GPX files the export's WorkoutRoute elements reference. Kept as compact points
// [time ISO, lat, lon, elevation m] in a `workout_route` record beside its workout.
import { Parser } from 'htmlparser2';

export type RoutePoint = [string | null, number, number, number | null];

export function parseGpx(text: string): RoutePoint[] {
  const points: RoutePoint[] = [];
  let current: RoutePoint | null = null;
  let field: 'ele' | 'time' | null = null;
  let buffer = '';
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'trkpt') current = [null, Number(attrs.lat), Number(attrs.lon), null];
        else if (current && (name === 'ele' || name === 'time')) {
          field = name;
          buffer = '';
        }
      },
      ontext(text) {
        if (field) buffer += text;
      },
      onclosetag(name) {
        if (current && field && name === field) {
          if (field === 'ele') current[3] = Number(buffer.trim());
          else current[0] = buffer.trim();
          field = null;
        } else if (name === 'trkpt' && current) {
          if (Number.isFinite(current[1]) && Number.isFinite(current[2])) points.push(current);
          current = null;
        }
      },
    },
    { xmlMode: true },
  );
  parser.write(text);
  parser.end();
  return points;
}
