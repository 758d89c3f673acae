import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

/** The drizzle database; `$client` is its postgres-js pool (for a hot statement prepared by name). */
export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

export interface DbHandle {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** One pool per process. `max` stays small: a worker and an API each need only a few connections. */
export function createDb(url: string, opts: { max?: number } = {}): DbHandle {
  const sql = postgres(url, { max: opts.max ?? 10, onnotice: () => {}, prepare: true });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

const dialect = new PgDialect();

/**
 * Runs `query` as a prepared statement: ONE round trip to Postgres. drizzle sends every statement
 * with parameters unprepared, and postgres-js then describes it first and binds it once the answer
 * is back: two round trips each time. Prepared, the statement is described once per connection and
 * kept there by its text, so use this only for statements whose text does not vary with their
 * values (pass lists as one JSON or array parameter, never as a varying number of parameters).
 */
export async function executePrepared<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const q = dialect.sqlToQuery(query);
  return (await db.$client.unsafe(q.sql, q.params as postgres.ParameterOrJSON<never>[], {
    prepare: true,
  })) as unknown as T[];
}

/** The Postgres error behind a drizzle error (drizzle 0.45 wraps it on `err.cause`). */
export function pgErrorOf(
  err: unknown,
): { code?: string; constraint_name?: string; message?: string } | undefined {
  let e: unknown = err;
  for (let i = 0; i < 3 && e; i++) {
    if (
      typeof e === 'object' &&
      e !== null &&
      'code' in e &&
      typeof (e as { code: unknown }).code === 'string'
    ) {
      return e as { code?: string; constraint_name?: string; message?: string };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
