// One place that opens Postgres connections, so every caller gets the same settings.
import postgres from 'postgres';

export type Sql = postgres.Sql;

export function connect(url: string, options: { max?: number; applicationName?: string } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'wearhouse' },
    // Dates come back as JS Dates; bigint counters as numbers (they stay far below 2^53).
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
  });
}

/** A connection pool or an open transaction: store functions take either. */
export type Queryable = postgres.Sql | postgres.TransactionSql;
