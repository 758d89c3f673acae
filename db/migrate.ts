import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { backfillDealCredits } from './deal-credits';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/**
 * Apply the committed drizzle-kit migrations (never `push`), then backfill the credit summary.
 * Safe to run concurrently and repeatedly.
 */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // Serialise concurrent migrators (API and worker may start together).
    await sql`select pg_advisory_lock(727274)`;
    const db = drizzle(sql);
    await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    // Migration 0008's credit summary, for deals completed before it (or by a worker without it).
    await backfillDealCredits(db);
    await sql`select pg_advisory_unlock(727274)`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The database named in `url`, and a URL to the same server's `postgres` database. */
function splitDatabaseUrl(url: string): { name: string; adminUrl: string } {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unsupported database name: ${name}`);
  u.pathname = '/postgres';
  return { name, adminUrl: u.toString() };
}

async function withAdmin<T>(url: string, fn: (sql: postgres.Sql, name: string) => Promise<T>): Promise<T> {
  const { name, adminUrl } = splitDatabaseUrl(url);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql, name);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Create a database if it does not exist, connecting through the server's `postgres` database. */
export function ensureDatabase(url: string): Promise<void> {
  return withAdmin(url, async (sql, name) => {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length > 0) return;
    try {
      await sql.unsafe(`create database "${name}"`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
    }
  });
}

/** Drop and create a database (tests, benchmarks). */
export function recreateDatabase(url: string): Promise<void> {
  return withAdmin(url, async (sql, name) => {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
    await sql.unsafe(`create database "${name}"`);
  });
}

/** Drop a database if it exists (tests). */
export function dropDatabase(url: string): Promise<void> {
  return withAdmin(url, async (sql, name) => {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
  });
}
