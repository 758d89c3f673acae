/**
 * Process definition versions in Postgres. A version never changes once written; applying content
 * identical to the latest version returns that version instead of a new one.
 */
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { processVersions, users } from '../../db/schema';
import { definitionChecksum } from '../../definitions/checksum';
import type { LocalizedText, ProcessDefinition, ProcessVersion } from '../../domain/process/types';

type Row = typeof processVersions.$inferSelect;

function toVersion(row: Row): ProcessVersion {
  return {
    key: row.key,
    version: row.version,
    checksum: row.checksum,
    createdAt: row.createdAt.toISOString(),
    definition: row.definition as ProcessDefinition,
  };
}

// Versions are immutable, so they can be cached forever per process.
const cache = new Map<string, ProcessVersion>();

export async function getProcessVersion(
  db: Db,
  key: string,
  version: number,
): Promise<ProcessVersion | undefined> {
  const cacheKey = `${key}@${version}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const rows = await db
    .select()
    .from(processVersions)
    .where(and(eq(processVersions.key, key), eq(processVersions.version, version)))
    .limit(1);
  if (!rows[0]) return undefined;
  const v = toVersion(rows[0]);
  cache.set(cacheKey, v);
  return v;
}

export async function getLatestProcessVersion(db: Db, key: string): Promise<ProcessVersion | undefined> {
  const rows = await db
    .select()
    .from(processVersions)
    .where(eq(processVersions.key, key))
    .orderBy(desc(processVersions.version))
    .limit(1);
  return rows[0] ? toVersion(rows[0]) : undefined;
}

export async function listLatestProcessVersions(db: Db): Promise<ProcessVersion[]> {
  const rows = await db
    .selectDistinctOn([processVersions.key])
    .from(processVersions)
    .orderBy(processVersions.key, desc(processVersions.version));
  return rows.map(toVersion);
}

/** The latest version of a key without its definition (only the name), for lists. */
export interface ProcessVersionSummary {
  key: string;
  version: number;
  checksum: string;
  createdAt: string;
  name: LocalizedText;
}

/**
 * One page of the latest version of every key, ordered by key. `afterKey` is the keyset cursor
 * (the last key of the previous page); returns up to `limit` rows (ask for one more to detect a next page).
 */
export async function listLatestProcessVersionSummaries(
  db: Db,
  opts: { limit: number; afterKey?: string },
): Promise<ProcessVersionSummary[]> {
  const rows = await db
    .selectDistinctOn([processVersions.key], {
      key: processVersions.key,
      version: processVersions.version,
      checksum: processVersions.checksum,
      createdAt: processVersions.createdAt,
      name: sql<LocalizedText>`${processVersions.definition} -> 'name'`.mapWith((v: unknown) =>
        typeof v === 'string' ? JSON.parse(v) : v,
      ),
    })
    .from(processVersions)
    .where(opts.afterKey === undefined ? undefined : gt(processVersions.key, opts.afterKey))
    .orderBy(processVersions.key, desc(processVersions.version))
    .limit(opts.limit);
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

/** Groups that exist: the distinct groups users actually have (`group:<name>` must name one). */
export async function listKnownGroups(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ group: sql<string>`unnest(${users.groups})` }).from(users);
  return rows.map((r) => r.group);
}

/**
 * Store a validated definition as the next version of its key. Identical content to the latest
 * version answers that version with `created: false`. Concurrent applies serialise on the key.
 */
export async function applyProcessDefinition(
  db: Db,
  definition: ProcessDefinition,
  createdBy: string | null,
): Promise<{ version: ProcessVersion; created: boolean }> {
  const checksum = definitionChecksum(definition);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`process:${definition.key}`}))`);
    const latest = await tx
      .select()
      .from(processVersions)
      .where(eq(processVersions.key, definition.key))
      .orderBy(desc(processVersions.version))
      .limit(1);
    if (latest[0] && latest[0].checksum === checksum)
      return { version: toVersion(latest[0]), created: false };
    const inserted = await tx
      .insert(processVersions)
      .values({
        key: definition.key,
        version: (latest[0]?.version ?? 0) + 1,
        checksum,
        definition,
        createdBy,
      })
      .returning();
    return { version: toVersion(inserted[0]), created: true };
  });
}
