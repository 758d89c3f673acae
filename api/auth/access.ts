/**
 * Who sees and who acts on a deal. Temporal authorises only per namespace, so every request is
 * checked here, per deal and per role.
 *
 * - ops and admin see all deals;
 * - a manager sees deals where anyone in their reporting line (transitively), or they, hold a role;
 * - a member sees deals where they hold a role or are the active delegate of someone who does;
 * - anyone asked to sign on a deal (the AR's manager, an approver group's members) sees it too;
 * - anyone else gets 404, so deal ids don't leak.
 */
import { and, arrayOverlaps, eq, gte, inArray, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { deals, delegations } from '../../db/schema';
import { isManager, isOps, type Principal } from './principal';

export type DealScope = { all: true } | { all: false; userIds: string[] };

/** Users whose active delegate the caller is right now. */
export async function delegatorsOf(db: Db, userId: string, now = new Date()): Promise<string[]> {
  const rows = await db
    .select({ userId: delegations.userId })
    .from(delegations)
    .where(
      and(
        eq(delegations.delegateId, userId),
        lte(delegations.validFrom, now),
        gte(delegations.validUntil, now),
      ),
    );
  return rows.map((r) => r.userId);
}

/**
 * The caller and everyone they may currently sign for: known from authentication, or looked up
 * at `now` when given.
 */
export async function actingFor(db: Db, p: Principal, now?: Date): Promise<string[]> {
  if (p.delegators && !now) return [p.id, ...p.delegators];
  return [p.id, ...(await delegatorsOf(db, p.id, now))];
}

/** A manager's reporting line: known from authentication, or looked up. */
async function lineOf(db: Db, p: Principal): Promise<string[]> {
  return p.reportingLine ?? reportingLine(db, p.id);
}

/** Everyone below a manager in the org chart, transitively. */
export async function reportingLine(db: Db, managerId: string): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE line AS (
      SELECT id FROM users WHERE manager_id = ${managerId}
      UNION
      SELECT u.id FROM users u JOIN line ON u.manager_id = line.id
    )
    SELECT id FROM line`);
  return rows.map((r) => r.id);
}

/** The role holders whose deals the caller may see (`acting`: `actingFor`, when already known). */
export async function dealScope(db: Db, p: Principal, acting?: string[]): Promise<DealScope> {
  if (isOps(p)) return { all: true };
  const ids = new Set<string>(acting ?? (await actingFor(db, p)));
  if (isManager(p)) for (const id of await lineOf(db, p)) ids.add(id);
  return { all: false, userIds: [...ids] };
}

/**
 * Whether the scope covers a deal: one of its users holds a triangle role, or was asked to sign on
 * it (the AR's manager, a member of an approver group, ops standing in for an unresolved approver).
 */
export function scopeCovers(
  scope: DealScope,
  deal: { arId: string; srId: string; frId: string; participantIds?: string[] },
): boolean {
  if (scope.all) return true;
  const people = [deal.arId, deal.srId, deal.frId, ...(deal.participantIds ?? [])];
  return people.some((id) => scope.userIds.includes(id));
}

/** The same rule as a SQL condition on `deals`, for lists (undefined: no restriction). */
export function visibleDealsWhere(scope: DealScope): SQL | undefined {
  if (scope.all) return undefined;
  return or(
    inArray(deals.arId, scope.userIds),
    inArray(deals.srId, scope.userIds),
    inArray(deals.frId, scope.userIds),
    arrayOverlaps(deals.participantIds, scope.userIds),
  );
}

/** Whom the caller manages: everyone (ops), the people below a manager, or nobody. */
export type ManagerAuthority = { all: true } | { all: false; manager: boolean; self: string; line: string[] };

export async function managerAuthority(db: Db, p: Principal): Promise<ManagerAuthority> {
  if (isOps(p)) return { all: true };
  const manager = isManager(p);
  return { all: false, manager, self: p.id, line: manager ? await lineOf(db, p) : [] };
}

/**
 * Reassign, hold, resume, cancel and amend: ops, or a manager with one of the deal's triangle in
 * their reporting line (or holding a role themselves). Seeing a deal as a signer or a delegate is
 * not enough.
 */
export function canManage(
  authority: ManagerAuthority,
  deal: { arId: string; srId: string; frId: string },
): boolean {
  if (authority.all) return true;
  if (!authority.manager) return false;
  const line = new Set([authority.self, ...authority.line]);
  return [deal.arId, deal.srId, deal.frId].some((id) => line.has(id));
}
