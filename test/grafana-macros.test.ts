// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana's ${var:format} syntax is the subject here.
// Grafana's macro and variable expansion as grafana/macros.ts reproduces it. Expected strings are
// what Grafana's Go backend and frontend produce for the same input (see the sources cited there).
import { describe, expect, it } from 'vitest';
import {
  collectDashboardTargets,
  expandPanelSql,
  formatInterval,
  MacroError,
  panelIntervalMs,
} from '../grafana/macros.ts';
import { goFloat, parseGoDuration, parseGrafanaInterval, rfc3339Nano } from '../grafana/src/go-format.ts';

const from = new Date('2024-03-01T00:00:00Z');
const to = new Date('2024-03-08T12:30:45.120Z');
const base = { from, to, intervalMs: 3_600_000, variables: { user: ['alice', 'bob'] } };
const expand = (sql: string, variables: Record<string, string[]> = base.variables) =>
  expandPanelSql(sql, { ...base, variables });

describe('time macros (macros.go)', () => {
  it('$__timeFilter is BETWEEN two RFC3339Nano UTC literals', () => {
    expect(expand('where $__timeFilter(start_at)')).toBe(
      "where start_at BETWEEN '2024-03-01T00:00:00Z' AND '2024-03-08T12:30:45.12Z'",
    );
  });

  it('$__timeFrom() and $__timeTo() are quoted instants', () => {
    expect(expand('$__timeFrom()::date - 6, $__timeTo()')).toBe(
      "'2024-03-01T00:00:00Z'::date - 6, '2024-03-08T12:30:45.12Z'",
    );
  });

  it('$__timeGroup buckets epoch seconds; $__timeGroupAlias names the column "time"', () => {
    expect(expand("select $__timeGroupAlias(day, '1d')")).toBe(
      'select floor(extract(epoch from day)/86400)*86400 AS "time"',
    );
    expect(expand("group by $__timeGroup(t, '5m')")).toBe('group by floor(extract(epoch from t)/300)*300');
    // Go's %v: 30 days is written in exponent form, which Postgres reads as a numeric literal.
    expect(expand("$__timeGroup(t, '30d') ")).toBe('floor(extract(epoch from t)/2.592e+06)*2.592e+06 ');
  });

  it('$__timeGroup followed by a comma is read as $__timeGroupAlias (pre-5.3 compatibility)', () => {
    expect(expand("select $__timeGroup(t, '1h'), v")).toBe(
      'select floor(extract(epoch from t)/3600)*3600 AS "time", v',
    );
  });

  it('a fill argument is accepted (NULL, previous, a number) and does not change the SQL', () => {
    const plain = expand("$__timeGroup(t, '1h') ");
    expect(expand("$__timeGroup(t, '1h', NULL) ")).toBe(plain);
    expect(expand("$__timeGroup(t, '1h', previous) ")).toBe(plain);
    expect(expand("$__timeGroup(t, '1h', 0) ")).toBe(plain);
    expect(() => expand("$__timeGroup(t, '1h', nothing) ")).toThrow(MacroError);
  });

  it('unix epoch macros use whole seconds (and nanoseconds)', () => {
    expect(expand('$__unixEpochFilter(ts)')).toBe('ts >= 1709251200 AND ts <= 1709901045');
    expect(expand('$__unixEpochFrom() $__unixEpochTo()')).toBe('1709251200 1709901045');
    expect(expand('$__unixEpochNanoFrom()')).toBe('1709251200000000000');
    expect(expand("$__unixEpochGroupAlias(ts, '1h')")).toBe('floor((ts)/3600)*3600 AS "time"');
  });

  it('$__time and $__timeEpoch alias a column as time', () => {
    expect(expand('select $__time(at), $__timeEpoch(at)')).toBe(
      'select at AS "time", extract(epoch from at) as "time"',
    );
  });

  it('$__interval and $__interval_ms come from the panel interval', () => {
    expect(expand('$__interval_ms $__interval')).toBe('3600000 1h');
    expect(expand('$__timeGroupAlias(minute, $__interval)')).toBe(
      'floor(extract(epoch from minute)/3600)*3600 AS "time"',
    );
  });

  it('macro arguments end at the first ")" and unknown macros fail, as in Grafana', () => {
    // The call is cut at its first ')' and its second argument dropped: panels must not nest calls.
    expect(expand('$__timeFilter(coalesce(a, b))')).toBe(
      "coalesce(a BETWEEN '2024-03-01T00:00:00Z' AND '2024-03-08T12:30:45.12Z')",
    );
    expect(() => expand('$__nope(x)')).toThrow(/unknown macro/);
    expect(() => expand('$__timeFilter()')).toThrow(/missing time column/);
    expect(() => expand("$__timeGroup(t, 'soon')")).toThrow(/error parsing interval/);
  });
});

describe('template variables', () => {
  it('${user:sqlstring} quotes each value and joins them with commas', () => {
    expect(expand('user_id in (${user:sqlstring})')).toBe("user_id in ('alice','bob')");
  });

  it('$user and ${user} (multi-value) are quoted the same way by the SQL datasource', () => {
    expect(expand('in ($user) or in (${user}) or in ([[user]])')).toBe(
      "in ('alice','bob') or in ('alice','bob') or in ('alice','bob')",
    );
  });

  it('a hostile value stays inside its quotes', () => {
    const hostile = "x') or 1=1 --";
    const sql = expand('where user_id in (${user:sqlstring})', { user: [hostile] });
    expect(sql).toBe("where user_id in ('x'') or 1=1 --')");
    // The whole value is one literal: removing it leaves nothing outside quotes but the SQL around it.
    expect(sql.replace(/'(?:[^']|'')*'/g, '?')).toBe('where user_id in (?)');
    expect(expand('in ($user)', { user: [hostile] }).replace(/'(?:[^']|'')*'/g, '?')).toBe('in (?)');
  });

  it('sqlstring backslash-escapes double quotes, as Grafana does for every SQL datasource', () => {
    expect(expand('${user:sqlstring}', { user: ['a"b'] })).toBe(`'a\\"b'`);
  });

  it('other formats, unknown variables and unsupported formats', () => {
    expect(expand('${user:csv} ${user:raw} ${user:singlequote} ${user:doublequote}')).toBe(
      `alice,bob alice,bob 'alice','bob' "alice","bob"`,
    );
    expect(expand('$other ${other:sqlstring}')).toBe('$other ${other:sqlstring}');
    expect(() => expand('${user:lucene}')).toThrow(MacroError);
  });

  it('built-in $__from and $__to are epoch milliseconds', () => {
    expect(expand('$__from $__to')).toBe(`${from.getTime()} ${to.getTime()}`);
  });

  it('variables are expanded before macros, so a value cannot smuggle a macro past its quotes', () => {
    // Grafana expands macros inside string literals too: a value like this fails the query rather
    // than being run (there is no `$__nope` macro).
    expect(() => expand('${user:sqlstring}', { user: ['$__nope(x)'] })).toThrow(/unknown macro/);
  });
});

describe('Go formatting', () => {
  it('fmt %v for floats', () => {
    expect([86400, 604800, 2592000, 0.5, 3600, 1e6, 31536000, 0.0001, 0.00001].map(goFloat)).toEqual([
      '86400',
      '604800',
      '2.592e+06',
      '0.5',
      '3600',
      '1e+06',
      '3.1536e+07',
      '0.0001',
      '1e-05',
    ]);
  });

  it('RFC3339Nano trims trailing zeros of the fraction', () => {
    expect(rfc3339Nano(new Date('2024-01-02T03:04:05.500Z'))).toBe('2024-01-02T03:04:05.5Z');
    expect(rfc3339Nano(new Date('2024-01-02T03:04:05.000Z'))).toBe('2024-01-02T03:04:05Z');
  });

  it('durations and intervals', () => {
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(() => parseGoDuration('5 minutes')).toThrow();
    const clock = () => new Date('2024-01-31T10:00:00Z');
    expect(parseGrafanaInterval('1d', clock)).toBe(86_400_000);
    expect(parseGrafanaInterval('2w', clock)).toBe(14 * 86_400_000);
    // Go's AddDate: Jan 31 + 1 month = Mar 2 (2024 is a leap year).
    expect(parseGrafanaInterval('1M', clock)).toBe(31 * 86_400_000);
    expect(formatInterval(86_400_000)).toBe('1d');
    expect(formatInterval(90_000)).toBe('1m');
    expect(panelIntervalMs(new Date(0), new Date(365 * 86_400_000))).toBe(21_600_000);
  });
});

describe('collectDashboardTargets', () => {
  it('lists SQL targets of panels and of panels nested in rows, with their format', () => {
    const model = {
      title: 'T',
      panels: [
        {
          type: 'stat',
          title: 'S',
          datasource: { uid: 'ds' },
          targets: [{ refId: 'A', rawSql: 'select 1' }],
        },
        {
          type: 'row',
          title: 'R',
          panels: [
            {
              type: 'table',
              title: 'In row',
              timeFrom: '30d',
              repeat: 'user',
              targets: [{ refId: 'B', rawSql: 'select 2', format: 'table', datasource: { uid: 'x' } }],
            },
          ],
        },
        { type: 'text', title: 'No SQL', targets: [{ refId: 'A', expr: 'up' }] },
      ],
    };
    expect(collectDashboardTargets(model)).toEqual([
      {
        dashboard: 'T',
        panelTitle: 'S',
        panelType: 'stat',
        refId: 'A',
        rawSql: 'select 1',
        format: 'time_series',
        datasourceUid: 'ds',
      },
      {
        dashboard: 'T',
        panelTitle: 'In row',
        panelType: 'table',
        refId: 'B',
        rawSql: 'select 2',
        format: 'table',
        datasourceUid: 'x',
        timeFrom: '30d',
        repeat: 'user',
      },
    ]);
  });
});
