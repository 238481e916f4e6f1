// Contention errors Postgres really raises (a lock wait that times out, a serialization failure, a
// deadlock it breaks) are classified DatabaseContention and retried, not InternalError (which stops
// retrying after 5 attempts and fails the whole backfill).
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_TYPES, INTERNAL_ERROR_ATTEMPTS, toApplicationFailure } from '../activities/failures.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

let db: TestDatabase;
let a: postgres.Sql;
let b: postgres.Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`create table contention (id int primary key, v int not null)`;
  await db.sql`insert into contention values (1, 0), (2, 0)`;
  a = postgres(db.url, { max: 1, onnotice: () => {} });
  b = postgres(db.url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await a?.end();
  await b?.end();
  await db?.close();
});

/** Resolves once `session` is waiting on a lock. */
async function waitingOnLock(applicationName: string) {
  for (let i = 0; i < 200; i++) {
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'
        and application_name = ${applicationName}`;
    if ((row?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no session waiting on a lock');
}

function expectContention(error: unknown, code: string) {
  expect((error as { code?: string }).code).toBe(code);
  const failure = toApplicationFailure(error, INTERNAL_ERROR_ATTEMPTS + 1);
  expect(failure.type).toBe(FAILURE_TYPES.contention);
  expect(failure.nonRetryable).toBe(false);
}

describe('contention errors', () => {
  it('55P03 lock_not_available (a lock timeout)', async () => {
    let release = () => {};
    const held = a.begin(async (tx) => {
      await tx`select * from contention where id = 1 for update`;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const error = await b
      .begin(async (tx) => {
        await tx`set local lock_timeout = '100ms'`;
        await tx`select * from contention where id = 1 for update`;
      })
      .catch((e: unknown) => e);
    release();
    await held;
    expectContention(error, '55P03');
  });

  it('40001 serialization_failure', async () => {
    let release = () => {};
    let read = () => {};
    const readDone = new Promise<void>((resolve) => {
      read = resolve;
    });
    const reader = a
      .begin('isolation level repeatable read', async (tx) => {
        await tx`select v from contention where id = 2`;
        read();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await tx`update contention set v = v + 1 where id = 2`;
      })
      .catch((e: unknown) => e);
    await readDone;
    await b`update contention set v = v + 10 where id = 2`;
    release();
    expectContention(await reader, '40001');
  });

  it('40P01 deadlock_detected', async () => {
    const c = postgres(db.url, {
      max: 1,
      onnotice: () => {},
      connection: { application_name: 'deadlock-c' },
    });
    try {
      let lockedBoth = () => {};
      const first = new Promise<void>((resolve) => {
        lockedBoth = resolve;
      });
      let lockedOne = () => {};
      const one = new Promise<void>((resolve) => {
        lockedOne = resolve;
      });
      const x = c
        .begin(async (tx) => {
          await tx`select * from contention where id = 1 for update`;
          lockedOne();
          await first;
          await tx`select * from contention where id = 2 for update`;
        })
        .catch((e: unknown) => e);
      const y = b
        .begin(async (tx) => {
          await one;
          await tx`select * from contention where id = 2 for update`;
          lockedBoth();
          await waitingOnLock('deadlock-c');
          await tx`select * from contention where id = 1 for update`;
        })
        .catch((e: unknown) => e);
      const results = await Promise.all([x, y]);
      const deadlocked = results.find((r) => (r as { code?: string } | undefined)?.code === '40P01');
      expectContention(deadlocked, '40P01');
    } finally {
      await c.end();
    }
  });
});
