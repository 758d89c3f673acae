/**
 * Users, API tokens and out-of-office delegations in Postgres.
 *
 * Who sees whom: admin and ops see everyone; a manager sees themselves and their reporting line
 * (transitively); anyone else sees only themselves. An invisible user answers 404, like an
 * unknown one.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { pgErrorOf } from '../../db/client';
import { apiTokens, delegations, users } from '../../db/schema';
import { isStorableText } from '../../domain/text';
import { reportingLine } from '../auth/access';
import { isAdmin, isManager, isOps, type Principal, type UserRole } from '../auth/principal';
import { newToken } from '../auth/tokens';
import { cursorFields, decodeCursor, type Page, page } from '../http/pagination';
import { badRequest, conflict, notFound } from '../http/problem';
import type { DelegationDto, TokenInfoDto, UserDto } from './schemas';

type UserRow = typeof users.$inferSelect;
type DelegationRow = typeof delegations.$inferSelect;

export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    roles: row.roles as UserRole[],
    managerId: row.managerId,
    groups: row.groups,
    locale: row.locale === 'zh' ? 'zh' : 'en',
    createdAt: row.createdAt.toISOString(),
    active: row.deactivatedAt === null,
    deactivatedAt: row.deactivatedAt?.toISOString() ?? null,
  };
}

export function toDelegationDto(row: DelegationRow, now = new Date()): DelegationDto {
  return {
    userId: row.userId,
    delegateId: row.delegateId,
    from: row.validFrom.toISOString(),
    until: row.validUntil.toISOString(),
    active: row.validFrom <= now && now <= row.validUntil,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** `{ all: true }`, or the ids of the users the caller may see. */
export type UserScope = { all: true } | { all: false; userIds: string[] };

export async function userScope(db: Db, p: Principal): Promise<UserScope> {
  if (isOps(p)) return { all: true };
  if (isManager(p))
    return { all: false, userIds: [p.id, ...(p.reportingLine ?? (await reportingLine(db, p.id)))] };
  return { all: false, userIds: [p.id] };
}

const userCovers = (scope: UserScope, id: string) => scope.all || scope.userIds.includes(id);

/** Admin, or the user themselves. */
export const canManageTokens = (p: Principal, userId: string): boolean => isAdmin(p) || p.id === userId;

async function loadUser(db: Db, id: string): Promise<UserRow | undefined> {
  if (!isStorableText(id)) return undefined;
  const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return rows[0];
}

/** The user if the caller may see them; otherwise 404. */
export async function visibleUser(db: Db, p: Principal, id: string): Promise<UserRow> {
  const scope = await userScope(db, p);
  const row = userCovers(scope, id) ? await loadUser(db, id) : undefined;
  if (!row) throw notFound('No such user');
  return row;
}

export async function getUser(db: Db, id: string): Promise<UserDto> {
  const row = await loadUser(db, id);
  if (!row) throw notFound('No such user');
  return toUserDto(row);
}

export async function listUsers(
  db: Db,
  p: Principal,
  q: { limit: number; cursor?: string },
): Promise<Page<UserDto>> {
  const scope = await userScope(db, p);
  const cursor = decodeCursor(q.cursor, z.strictObject({ id: cursorFields.text }));
  const where: (SQL | undefined)[] = [];
  if (!scope.all) where.push(inArray(users.id, scope.userIds));
  if (cursor) where.push(gt(users.id, cursor.id));
  const rows = await db
    .select()
    .from(users)
    .where(and(...where))
    .orderBy(asc(users.id))
    .limit(q.limit + 1);
  const p2 = page(rows, q.limit, (last) => ({ id: last.id }));
  return { items: p2.items.map(toUserDto), nextCursor: p2.nextCursor };
}

function generatedUserId(): string {
  return `u_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** Creates a user and their first token (in one transaction). 400 for an unknown manager, 409 for a duplicate. */
export async function createUser(
  db: Db,
  input: {
    id?: string;
    name: string;
    email: string;
    roles: UserRole[];
    managerId?: string | null;
    groups?: string[];
    locale?: 'zh' | 'en';
  },
): Promise<{ user: UserDto; token: string; tokenId: string }> {
  const id = input.id ?? generatedUserId();
  const managerId = input.managerId ?? null;
  // A new user has no reports, so naming an existing manager can never close a cycle; naming
  // themselves is refused below because they do not exist yet.
  if (managerId !== null && !(await loadUser(db, managerId))) {
    throw badRequest('Unknown manager', [{ path: 'body.managerId', message: `unknown user ${managerId}` }]);
  }
  const t = newToken();
  try {
    const row = await db.transaction(async (tx) => {
      const inserted = await tx
        .insert(users)
        .values({
          id,
          name: input.name,
          email: input.email,
          roles: input.roles,
          managerId,
          groups: input.groups ?? [],
          locale: input.locale ?? 'en',
        })
        .returning();
      await tx.insert(apiTokens).values({ id: t.id, userId: id, tokenHash: t.hash, label: 'initial' });
      return inserted[0];
    });
    return { user: toUserDto(row), token: t.token, tokenId: t.id };
  } catch (err) {
    const pg = pgErrorOf(err);
    if (pg?.code === '23505') {
      if (pg.constraint_name === 'users_email_uq') {
        throw conflict(`A user with email ${input.email} already exists`, { field: 'email' });
      }
      if (pg.constraint_name === 'users_pkey') {
        throw conflict(`A user with id ${id} already exists`, { field: 'id' });
      }
    }
    if (pg?.code === '23503') {
      // The manager was deleted between the check and the insert.
      throw badRequest('Unknown manager', [{ path: 'body.managerId', message: `unknown user ${managerId}` }]);
    }
    throw err;
  }
}

export async function createToken(
  db: Db,
  userId: string,
  input: { label?: string; expiresAt?: string } = {},
): Promise<{ id: string; token: string; createdAt: string; expiresAt: string | null }> {
  const t = newToken();
  const rows = await db
    .insert(apiTokens)
    .values({
      id: t.id,
      userId,
      tokenHash: t.hash,
      label: input.label ?? null,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    })
    .returning({ createdAt: apiTokens.createdAt, expiresAt: apiTokens.expiresAt });
  return {
    id: t.id,
    token: t.token,
    createdAt: rows[0].createdAt.toISOString(),
    expiresAt: rows[0].expiresAt?.toISOString() ?? null,
  };
}

/**
 * Deactivates (`active: false`) or reactivates a user. A deactivated user's tokens all answer 401
 * at once (authentication reads the flag on every request); reactivating restores them. Admins
 * cannot deactivate themselves, so the last admin cannot lock everyone out by accident.
 */
export async function setUserActive(db: Db, p: Principal, userId: string, active: boolean): Promise<UserDto> {
  if (!active && userId === p.id) throw conflict('You cannot deactivate yourself', { field: 'active' });
  const rows = await db
    .update(users)
    .set({ deactivatedAt: active ? null : sql`coalesce(${users.deactivatedAt}, now())` })
    .where(eq(users.id, userId))
    .returning();
  if (!rows[0]) throw notFound('No such user');
  return toUserDto(rows[0]);
}

/** Keyset of the token list: `createdAt` to the microsecond (a JS Date keeps only milliseconds) and id. */
const TokenCursor = z.strictObject({ t: cursorFields.microTimestamp, i: cursorFields.text });

/** A user's tokens, oldest first, without their secrets. */
export async function listTokens(
  db: Db,
  userId: string,
  q: { limit: number; cursor?: string },
): Promise<Page<TokenInfoDto>> {
  const cursor = decodeCursor(q.cursor, TokenCursor);
  const rows = await db
    .select({
      token: apiTokens,
      t: sql<string>`to_char(${apiTokens.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.userId, userId),
        cursor
          ? sql`(${apiTokens.createdAt}, ${apiTokens.id}) > (${cursor.t}::timestamptz, ${cursor.i}::text)`
          : undefined,
      ),
    )
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id))
    .limit(q.limit + 1);
  const p = page(rows, q.limit, (last) => ({ t: last.t, i: last.token.id }));
  return {
    items: p.items.map(({ token: r }) => ({
      id: r.id,
      label: r.label,
      createdAt: r.createdAt.toISOString(),
      revokedAt: r.revokedAt?.toISOString() ?? null,
      expiresAt: r.expiresAt?.toISOString() ?? null,
    })),
    nextCursor: p.nextCursor,
  };
}

/** Revokes a token of the user; 404 when the user has no such token. Revoking twice is a no-op. */
export async function revokeToken(db: Db, userId: string, tokenId: string): Promise<void> {
  if (!isStorableText(tokenId)) throw notFound('No such token');
  const rows = await db
    .select({ id: apiTokens.id, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)))
    .limit(1);
  if (!rows[0]) throw notFound('No such token');
  await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)));
}

export async function getDelegation(db: Db, userId: string): Promise<DelegationDto | undefined> {
  const rows = await db.select().from(delegations).where(eq(delegations.userId, userId)).limit(1);
  return rows[0] ? toDelegationDto(rows[0]) : undefined;
}

/** Sets (replaces) the caller's delegation. The delegate must exist and not be the caller. */
export async function setDelegation(
  db: Db,
  userId: string,
  input: { delegateId: string; from: string; until: string },
): Promise<DelegationDto> {
  if (input.delegateId === userId) {
    throw badRequest('You cannot delegate to yourself', [
      { path: 'body.delegateId', message: 'must be another user' },
    ]);
  }
  const delegate = await loadUser(db, input.delegateId);
  if (!delegate) {
    throw badRequest('Unknown delegate', [
      { path: 'body.delegateId', message: `unknown user ${input.delegateId}` },
    ]);
  }
  if (delegate.deactivatedAt) {
    throw badRequest('The delegate is deactivated', [
      { path: 'body.delegateId', message: `user ${input.delegateId} is deactivated` },
    ]);
  }
  const values = {
    userId,
    delegateId: input.delegateId,
    validFrom: new Date(input.from),
    validUntil: new Date(input.until),
    updatedAt: new Date(),
  };
  const rows = await db
    .insert(delegations)
    .values(values)
    .onConflictDoUpdate({
      target: delegations.userId,
      set: {
        delegateId: values.delegateId,
        validFrom: values.validFrom,
        validUntil: values.validUntil,
        updatedAt: values.updatedAt,
      },
    })
    .returning();
  return toDelegationDto(rows[0]);
}

export async function clearDelegation(db: Db, userId: string): Promise<void> {
  await db.delete(delegations).where(eq(delegations.userId, userId));
}
