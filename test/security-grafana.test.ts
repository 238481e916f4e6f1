// What the Grafana role can do, on data a real backfill stored: it reads the views and pipeline
// tables, never the connections (tokens), writes nothing, runs under a statement timeout in read-only
// transactions; and every dashboard target, expanded with hostile $user values exactly as Grafana
// expands them, runs as that role without error and leaves the data intact.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import { collectDashboardTargets, expandPanelSql, panelIntervalMs } from '../grafana/macros.ts';
import { MEAN_OF_USERS } from '../grafana/src/common.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import { connectUser, DAY_MS, day, expectCompleted, iso, printFigures } from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const USERS = ['gina', 'hal'];
/** Values that must run as literals: no error, no match. */
const HOSTILE = [
  "'",
  "''",
  '\\',
  "\\'",
  "'); drop table records; --",
  "' or '1'='1",
  "x' union select * from connections --",
  '"; drop table records; --',
  "\\'; select pg_sleep(30); --",
  '$$; drop table records; $$',
  '*/ select 1; /*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference, as a value
  '${user}',
  '$user',
  "E'\\x27'",
  'ü’ñ 😀 \u202e',
  "line\n'; delete from records; --",
];
/**
 * Grafana's backend expands macros inside string literals too (see grafana-macros.test.ts), so a value
 * holding a macro may make the query fail (a syntax error or an unknown macro: the time macros put
 * quotes and bare timestamps there), but never run anything else.
 */
const MACRO_LIKE = [
  '$__timeFilter(start_at)',
  '$__timeFrom() or true',
  'x $__nope(y)',
  '$__timeGroup(start_at,1h)',
];
const targets = [...renderDashboards().values()].flatMap((json) => collectDashboardTargets(JSON.parse(json)));

let stack: WhoopStack;
let grafana: postgres.Sql;
/** Every configured provider: what the $provider variable's "All" sends. */
let providers: string[];
/** The $source values "All" stands for: every device label the cross-provider dashboards offer. */
let sources: string[];
const from = day(-60);
const to = day(-1);

beforeAll(async () => {
  stack = await startWhoopStack({ sandbox: { requestsPerMinute: 3000 } });
  for (const userId of USERS) {
    await connectUser(stack, userId);
    const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
      userId,
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
    });
    expectCompleted(await handle.result());
  }
  grafana = postgres(stack.db.grafanaUrl, { max: 2, onnotice: () => {} });
  providers = (await grafana<{ name: string }[]>`select name from providers order by 1`).map((r) => r.name);
  sources = (
    await grafana<{ label: string }[]>`
      select distinct coalesce(source, provider) as label from daily_health_by_source order by 1`
  ).map((r) => r.label);
});
afterAll(async () => {
  await grafana?.end();
  await stack?.close();
});

async function fingerprint() {
  const [row] = await stack.db.sql<{ records: number; digest: string; tables: number }[]>`
    select (select count(*)::int from records) as records,
           (select md5(string_agg(r::text, '|' order by kind, user_id, source_id)) from records r) as digest,
           (select count(*)::int from pg_tables where schemaname = 'public') as tables`;
  return row;
}

const denied = /permission denied|read-only transaction/;

describe('the Grafana role', () => {
  it('is an ordinary login: no superuser, no role creation, member of no role', async () => {
    const [me] = await grafana<
      {
        rolsuper: boolean;
        rolcreaterole: boolean;
        rolcreatedb: boolean;
        rolbypassrls: boolean;
        memberships: number;
      }[]
    >`
      select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls,
             (select count(*)::int from pg_auth_members where member = r.oid) as memberships
      from pg_roles r where rolname = current_user`;
    expect(me).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolbypassrls: false,
      memberships: 0,
    });
  });

  it('cannot read the connections table, any token column, or tables it was not given', async () => {
    for (const query of [
      'select * from connections',
      'select access_token_enc from connections',
      'select refresh_token_enc from connections',
      'select * from rate_budget',
      'select * from schema_migrations',
      "select pg_read_file('postgresql.conf')",
    ]) {
      await expect(grafana.unsafe(query), query).rejects.toThrow(/permission denied/);
    }
    // connection_status is the way in, and it holds no token column.
    const columns = await grafana<{ column_name: string }[]>`
      select column_name from information_schema.columns where table_name = 'connection_status'`;
    expect(columns.length).toBeGreaterThan(0);
    expect(columns.map((c) => c.column_name).filter((c) => /token|secret|enc/.test(c))).toEqual([]);
    expect((await grafana`select user_id from connection_status order by 1`).map((r) => r.user_id)).toEqual(
      USERS,
    );
  });

  it('cannot write anything, even after asking for a read-write transaction', async () => {
    const before = await fingerprint();
    const writes = [
      "insert into records (provider, user_id, kind, source_id, payload) values ('x', 'x', 'x', 'x', '{}')",
      'update records set deleted_at = now()',
      'delete from records',
      'truncate records',
      "insert into users (id) values ('mallory')",
      "update connections set status = 'active'",
      'delete from quarantine',
      'delete from coverage',
      'create table evil (id int)',
      'create schema evil',
      'create function evil() returns int language sql as $$ select 1 $$',
      'create temp table evil (id int)',
      'drop view sleeps',
      'alter table records add column evil int',
      'grant select on connections to wearhouse_grafana',
    ];
    for (const statement of writes) {
      // As Grafana sends it (read-only by default), and wrapped in an explicit read-write transaction.
      await expect(grafana.unsafe(statement), statement).rejects.toThrow(denied);
      await expect(
        grafana.begin('read write', (tx) => tx.unsafe(statement)),
        `read write: ${statement}`,
      ).rejects.toThrow(/permission denied|must be owner/);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('runs read-only, under a 10 s statement timeout, with standard-conforming strings', async () => {
    const [settings] = await grafana<{ timeout: string; readonly: string; conforming: string }[]>`
      select current_setting('statement_timeout') as timeout,
             current_setting('default_transaction_read_only') as readonly,
             current_setting('standard_conforming_strings') as conforming`;
    // standard_conforming_strings keeps a backslash in a value literal, so it cannot escape a quote.
    expect(settings).toEqual({ timeout: '10s', readonly: 'on', conforming: 'on' });
    const [tx] = await grafana`show transaction_read_only`;
    expect(tx?.transaction_read_only).toBe('on');
  });
});

/** One target as Grafana runs it for the range, with `selection` as the values of one variable (the other is All). */
async function runTarget(
  target: (typeof targets)[number],
  selection: string[],
  variable: 'user' | 'provider' | 'source' = 'user',
) {
  const rangeFrom = target.timeFrom ? new Date(to.getTime() - 90 * DAY_MS) : from;
  const sql = expandPanelSql(target.rawSql, {
    from: rangeFrom,
    to: new Date(to.getTime() + DAY_MS),
    intervalMs: panelIntervalMs(rangeFrom, to),
    variables: {
      user: variable === 'user' ? selection : USERS,
      provider: variable === 'provider' ? selection : providers,
      source: variable === 'source' ? selection : sources,
    },
  });
  // Grafana sends panel SQL over the simple query protocol, several statements allowed.
  const rows = (await grafana.unsafe(sql).simple()) as Record<string, unknown>[];
  // A hostile value never widens the result: it matches no user of its own. With several users
  // selected, daily panels draw one series labelled MEAN_OF_USERS (docs/dashboards.md, "Many users").
  for (const row of rows) {
    for (const key of variable === 'user' ? ['user', 'user_id'] : []) {
      if (key in row && row[key] !== null) expect([...USERS, MEAN_OF_USERS]).toContain(row[key]);
    }
  }
  return rows;
}

describe('dashboard SQL with hostile $user, $provider and $source values', () => {
  it('every target runs as the Grafana role with every hostile value, which stays a literal', async () => {
    expect(targets.length).toBeGreaterThan(40);
    const before = await fingerprint();
    let queries = 0;
    let withRows = 0;
    const real = {
      user: USERS[0] as string,
      provider: providers[0] as string,
      source: sources[0] as string,
    };
    for (const target of targets) {
      for (const value of HOSTILE) {
        for (const variable of ['user', 'provider', 'source'] as const) {
          // Alone (matches nobody), and next to a real value (whose rows must still come back).
          for (const selection of [[value], [real[variable], value]]) {
            const rows = await runTarget(target, selection, variable).catch((error: Error) => {
              throw new Error(
                `${target.dashboard} / ${target.panelTitle} with $${variable} ${JSON.stringify(value)}: ${error.message}`,
              );
            });
            queries++;
            if (rows.length > 0) withRows++;
            if (selection.length === 1 && target.format === 'table') {
              for (const row of rows) expect(Object.values(row)).not.toContain(value);
            }
          }
        }
      }
    }
    expect(withRows).toBeGreaterThan(0);
    expect(await fingerprint()).toEqual(before);
    printFigures('grafana-hostile', {
      targets: targets.length,
      hostileValues: HOSTILE.length,
      queries,
      queriesWithRows: withRows,
      records: before?.records,
    });
  });

  it('a value holding a macro either runs as a literal or fails the query; it never runs anything else', async () => {
    const before = await fingerprint();
    const outcomes = { ran: 0, failed: 0 };
    for (const target of targets) {
      for (const value of MACRO_LIKE) {
        const outcome = await runTarget(target, [value]).then(
          () => 'ran' as const,
          (error: Error) => {
            expect(error.message).toMatch(/syntax error|trailing junk|unknown macro/);
            return 'failed' as const;
          },
        );
        outcomes[outcome]++;
      }
    }
    expect(await fingerprint()).toEqual(before);
    printFigures('grafana-macro-values', { targets: targets.length, values: MACRO_LIKE.length, ...outcomes });
  });
});
