/**
 * Account and contact use cases: the account the company owns, its team, its deals, and the
 * customer's decision chain. Visibility follows the deal rules (api/auth/access.ts): ops and admin
 * see every account; others see accounts where someone in their scope (themselves, their delegators,
 * their reporting line for a manager) holds an account-team role, a role on one of its deals, is a
 * signer on one of them, or owns one of its contacts. Anyone else gets 404.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { pgErrorOf } from '../../db/client';
import {
  accountRoleHistory,
  accounts,
  contactInteractions,
  contacts,
  dealEvents,
  deals,
  users,
} from '../../db/schema';
import {
  type AccountTeam,
  type BuyingRole,
  decisionChain,
  roleHoldings,
  type Stance,
  teamConflicts,
  tierOrGeneral,
} from '../../domain/account';
import { TRIANGLE_ROLES, type TriangleRole } from '../../domain/process/types';
import { type DealScope, visibleDealsWhere } from '../auth/access';
import { cursorFields, decodeCursor, page } from '../http/pagination';
import { badRequest, conflict, notFound } from '../http/problem';
import type { AccountDetailDto, AccountDto, ContactDto } from './schemas';

type AccountRow = typeof accounts.$inferSelect;
type ContactRow = typeof contacts.$inferSelect;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Deals listed per group (open, closed) in an account's detail; the totals count every one. */
const DETAIL_DEALS = 200;
/** Role holdings listed from the deals' timelines in an account's detail. */
const DETAIL_HOLDINGS = 2000;

export function toAccountDto(a: AccountRow): AccountDto {
  return {
    id: a.id,
    name: a.name,
    tier: tierOrGeneral(a.tier),
    industry: a.industry,
    region: a.region,
    notes: a.notes,
    team: { AR: a.arId, SR: a.srId, FR: a.frId },
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export function toContactDto(c: ContactRow): ContactDto {
  return {
    id: c.id,
    accountId: c.accountId,
    name: c.name,
    title: c.title,
    department: c.department,
    buyingRole: c.buyingRole as BuyingRole,
    stance: c.stance as Stance,
    influence: c.influence,
    ownerId: c.ownerId,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** The accounts a scope sees, as a condition on `accounts` (undefined: all of them). */
export function visibleAccountsWhere(scope: DealScope): SQL | undefined {
  if (scope.all) return undefined;
  const ids = scope.userIds;
  if (ids.length === 0) return sql`false`;
  const dealsWhere = visibleDealsWhere(scope)!;
  return or(
    inArray(accounts.arId, ids),
    inArray(accounts.srId, ids),
    inArray(accounts.frId, ids),
    sql`EXISTS (SELECT 1 FROM ${deals} WHERE ${deals.accountId} = ${accounts.id} AND ${dealsWhere})`,
    sql`EXISTS (SELECT 1 FROM ${contacts} WHERE ${contacts.accountId} = ${accounts.id} AND ${inArray(contacts.ownerId, ids)})`,
  );
}

async function knownUsers(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.select({ id: users.id }).from(users).where(inArray(users.id, ids));
  return new Set(rows.map((r) => r.id));
}

/** Check a team (unknown users, one person in two roles): 400 naming `body.team.<role>`. */
async function checkTeam(db: Db, team: AccountTeam): Promise<void> {
  const named = TRIANGLE_ROLES.filter((r) => team[r]);
  const known = await knownUsers(
    db,
    named.map((r) => team[r]!),
  );
  const unknown = named.filter((r) => !known.has(team[r]!));
  if (unknown.length) {
    throw badRequest(
      'The account team names unknown users',
      unknown.map((r) => ({ path: `body.team.${r}`, message: `unknown user ${team[r]}` })),
    );
  }
  const conflicts = teamConflicts(team);
  if (conflicts.length) {
    throw badRequest(
      'The account team is three people',
      conflicts.map((c) => ({
        path: `body.team.${c.role}`,
        message: `${c.userId} already holds ${c.sameAs}; the account team needs different people as ${c.sameAs} and ${c.role}`,
      })),
    );
  }
}

function duplicateName(err: unknown, name: string): never | undefined {
  const pg = pgErrorOf(err);
  if (pg?.code === '23505' && pg.constraint_name === 'accounts_name_uq') {
    throw conflict(`An account named ${name} already exists`, { field: 'name' });
  }
  return undefined;
}

export function createAccountService(db: Db) {
  async function load(id: string): Promise<AccountRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = await db.select().from(accounts).where(eq(accounts.id, id)).limit(1);
    return row;
  }

  /** The account if the scope sees it; otherwise 404 (unknown, malformed and invisible look alike). */
  async function visible(id: string, scope: DealScope): Promise<AccountRow> {
    if (!UUID.test(id)) throw notFound('No such account');
    const [row] = await db
      .select()
      .from(accounts)
      .where(and(eq(accounts.id, id), visibleAccountsWhere(scope)))
      .limit(1);
    if (!row) throw notFound('No such account');
    return row;
  }

  /** Record who now holds each changed team role (closing the previous holding). */
  async function recordTeam(
    tx: Pick<Db, 'insert' | 'update'>,
    accountId: string,
    before: AccountTeam,
    after: AccountTeam,
    actorId: string,
    reason: string | null,
    at: Date,
  ) {
    for (const role of TRIANGLE_ROLES) {
      if (before[role] === after[role]) continue;
      if (before[role]) {
        await tx
          .update(accountRoleHistory)
          .set({ until: at })
          .where(
            and(
              eq(accountRoleHistory.accountId, accountId),
              eq(accountRoleHistory.role, role),
              isNull(accountRoleHistory.until),
            ),
          );
      }
      if (after[role]) {
        await tx
          .insert(accountRoleHistory)
          .values({ accountId, role, userId: after[role]!, since: at, actorId, reason });
      }
    }
  }

  return {
    load,
    visible,
    recordTeam,

    async create(
      input: {
        name: string;
        tier: string;
        industry?: string;
        region?: string;
        notes?: string;
        team?: Partial<AccountTeam>;
      },
      actorId: string,
    ): Promise<AccountDto> {
      const team: AccountTeam = {
        AR: input.team?.AR ?? null,
        SR: input.team?.SR ?? null,
        FR: input.team?.FR ?? null,
      };
      await checkTeam(db, team);
      const now = new Date();
      try {
        const row = await db.transaction(async (tx) => {
          const [inserted] = await tx
            .insert(accounts)
            .values({
              id: randomUUID(),
              name: input.name,
              tier: input.tier,
              industry: input.industry ?? null,
              region: input.region ?? null,
              notes: input.notes ?? null,
              arId: team.AR,
              srId: team.SR,
              frId: team.FR,
              createdBy: actorId,
              createdAt: now,
              updatedAt: now,
            })
            .returning();
          await recordTeam(tx, inserted.id, { AR: null, SR: null, FR: null }, team, actorId, null, now);
          return inserted;
        });
        return toAccountDto(row);
      } catch (err) {
        duplicateName(err, input.name);
        throw err;
      }
    },

    async update(
      row: AccountRow,
      input: {
        name?: string;
        tier?: string;
        industry?: string | null;
        region?: string | null;
        notes?: string | null;
        team?: Partial<AccountTeam>;
        reason?: string;
      },
      actorId: string,
    ): Promise<AccountDto> {
      const before: AccountTeam = { AR: row.arId, SR: row.srId, FR: row.frId };
      const team: AccountTeam = { ...before };
      for (const role of TRIANGLE_ROLES) {
        const v = input.team?.[role];
        if (v !== undefined) team[role] = v;
      }
      await checkTeam(db, team);
      const now = new Date();
      try {
        const updated = await db.transaction(async (tx) => {
          const [u] = await tx
            .update(accounts)
            .set({
              ...(input.name !== undefined ? { name: input.name } : {}),
              ...(input.tier !== undefined ? { tier: input.tier } : {}),
              ...(input.industry !== undefined ? { industry: input.industry } : {}),
              ...(input.region !== undefined ? { region: input.region } : {}),
              ...(input.notes !== undefined ? { notes: input.notes } : {}),
              arId: team.AR,
              srId: team.SR,
              frId: team.FR,
              updatedAt: now,
            })
            .where(eq(accounts.id, row.id))
            .returning();
          await recordTeam(tx, row.id, before, team, actorId, input.reason ?? null, now);
          return u;
        });
        return toAccountDto(updated);
      } catch (err) {
        duplicateName(err, input.name ?? row.name);
        throw err;
      }
    },

    async list(
      scope: DealScope,
      q: { limit: number; cursor?: string; tier?: string; owner?: string; text?: string },
    ) {
      const where: (SQL | undefined)[] = [visibleAccountsWhere(scope)];
      if (q.tier) where.push(eq(accounts.tier, q.tier));
      if (q.owner)
        where.push(or(eq(accounts.arId, q.owner), eq(accounts.srId, q.owner), eq(accounts.frId, q.owner)));
      if (q.text) {
        const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        where.push(
          or(
            sql`${accounts.name} ILIKE ${like}`,
            sql`${accounts.industry} ILIKE ${like}`,
            sql`${accounts.region} ILIKE ${like}`,
          ),
        );
      }
      const cursor = decodeCursor(
        q.cursor,
        z.strictObject({ name: storableName, id: z.string().regex(UUID) }),
      );
      if (cursor) {
        where.push(
          or(gt(accounts.name, cursor.name), and(eq(accounts.name, cursor.name), gt(accounts.id, cursor.id))),
        );
      }
      const rows = await db
        .select()
        .from(accounts)
        .where(and(...where))
        .orderBy(asc(accounts.name), asc(accounts.id))
        .limit(q.limit + 1);
      const p = page(rows, q.limit, (last) => ({ name: last.name, id: last.id }));
      return { items: p.items.map(toAccountDto), nextCursor: p.nextCursor };
    },

    async detail(row: AccountRow, scope: DealScope): Promise<AccountDetailDto> {
      const onAccount = and(eq(deals.accountId, row.id), visibleDealsWhere(scope));
      const summary = {
        id: deals.id,
        title: deals.title,
        status: deals.status,
        stage: deals.stageKey,
        amount: deals.valueAmount,
        currency: deals.currency,
        arId: deals.arId,
        srId: deals.srId,
        frId: deals.frId,
        createdAt: deals.createdAt,
        closedAt: deals.closedAt,
      };
      const open = inArray(deals.status, ['active', 'on_hold']);
      const [openRows, closedRows, totals, teamHistory, contactRows] = await Promise.all([
        db
          .select(summary)
          .from(deals)
          .where(and(onAccount, open))
          .orderBy(desc(deals.createdAt), desc(deals.id))
          .limit(DETAIL_DEALS),
        db
          .select(summary)
          .from(deals)
          .where(and(onAccount, sql`NOT ${open}`))
          .orderBy(desc(deals.createdAt), desc(deals.id))
          .limit(DETAIL_DEALS),
        db
          .select({
            status: deals.status,
            currency: deals.currency,
            count: sql<number>`count(*)::int`,
            total: sql<string>`sum(${deals.valueAmount})::text`,
          })
          .from(deals)
          .where(onAccount)
          .groupBy(deals.status, deals.currency)
          .orderBy(asc(deals.status), asc(deals.currency)),
        db
          .select()
          .from(accountRoleHistory)
          .where(eq(accountRoleHistory.accountId, row.id))
          .orderBy(asc(accountRoleHistory.since), asc(accountRoleHistory.id)),
        db
          .select()
          .from(contacts)
          .where(eq(contacts.accountId, row.id))
          .orderBy(asc(contacts.name), asc(contacts.id)),
      ]);
      const dealIds = [...openRows, ...closedRows].map((d) => d.id);
      const events = dealIds.length
        ? await db
            .select({
              dealId: dealEvents.dealId,
              type: dealEvents.type,
              at: dealEvents.at,
              data: dealEvents.data,
            })
            .from(dealEvents)
            .where(
              and(
                inArray(dealEvents.dealId, dealIds),
                inArray(dealEvents.type, ['deal.created', 'role.reassigned']),
              ),
            )
            .orderBy(asc(dealEvents.dealId), asc(dealEvents.seq))
            .limit(DETAIL_HOLDINGS)
        : [];
      const byDeal = new Map<string, typeof events>();
      for (const e of events) byDeal.set(e.dealId, [...(byDeal.get(e.dealId) ?? []), e]);
      const dealHoldings = [...byDeal.entries()].flatMap(([dealId, list]) =>
        roleHoldings(
          list.map((e) => ({
            type: e.type,
            at: e.at.toISOString(),
            data: e.data as Record<string, unknown>,
          })),
        ).map((h) => ({ dealId, ...h })),
      );
      const toSummary = (d: (typeof openRows)[number]) => ({
        id: d.id,
        title: d.title,
        status: d.status,
        stage: d.stage,
        value: { amount: Number(d.amount), currency: d.currency },
        triangle: { AR: d.arId, SR: d.srId, FR: d.frId },
        createdAt: d.createdAt.toISOString(),
        closedAt: d.closedAt?.toISOString() ?? null,
      });
      const contactDtos = contactRows.map(toContactDto);
      return {
        ...toAccountDto(row),
        deals: {
          open: openRows.map(toSummary),
          closed: closedRows.map(toSummary),
          totals: totals.map((t) => ({
            status: t.status,
            currency: t.currency,
            count: t.count,
            total: Number(t.total),
          })),
        },
        roleHistory: {
          account: teamHistory.map((h) => ({
            role: h.role as TriangleRole,
            userId: h.userId,
            since: h.since.toISOString(),
            until: h.until?.toISOString() ?? null,
            reason: h.reason,
          })),
          deals: dealHoldings,
        },
        contacts: contactDtos,
        decisionChain: decisionChain(
          contactDtos.map((c) => ({
            id: c.id,
            name: c.name,
            title: c.title,
            buyingRole: c.buyingRole,
            stance: c.stance,
            influence: c.influence,
            ownerId: c.ownerId,
          })),
        ),
      };
    },

    /**
     * The account a new deal names: by id (400 `body.account.id` when unknown), or by name, found or
     * created (with the tier given when it is one of the four, else `general`).
     */
    async forDeal(
      account: { id?: string; name?: string; tier?: string },
      actorId: string,
    ): Promise<AccountRow> {
      if (account.id !== undefined) {
        const row = await load(account.id);
        if (!row)
          throw badRequest('Unknown account', [
            { path: 'body.account.id', message: `unknown account ${account.id}` },
          ]);
        return row;
      }
      const name = account.name!;
      const now = new Date();
      await db
        .insert(accounts)
        .values({
          id: randomUUID(),
          name,
          tier: tierOrGeneral(account.tier),
          createdBy: actorId,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing({ target: accounts.name });
      const [row] = await db.select().from(accounts).where(eq(accounts.name, name)).limit(1);
      return row;
    },

    // -------------------------------------------------------------------------------------------
    // Contacts and interactions
    // -------------------------------------------------------------------------------------------

    /** The contact if the scope sees its account; otherwise 404. */
    async visibleContact(id: string, scope: DealScope): Promise<ContactRow> {
      if (!UUID.test(id)) throw notFound('No such contact');
      const [row] = await db
        .select({ contact: contacts })
        .from(contacts)
        .innerJoin(accounts, eq(accounts.id, contacts.accountId))
        .where(and(eq(contacts.id, id), visibleAccountsWhere(scope)))
        .limit(1);
      if (!row) throw notFound('No such contact');
      return row.contact;
    },

    async createContact(
      accountId: string,
      input: {
        name: string;
        title?: string;
        department?: string;
        buyingRole: string;
        stance: string;
        influence: number;
        ownerId?: string;
      },
      actorId: string,
    ): Promise<ContactDto> {
      if (input.ownerId) await checkOwner(input.ownerId);
      const now = new Date();
      const [row] = await db
        .insert(contacts)
        .values({
          id: randomUUID(),
          accountId,
          name: input.name,
          title: input.title ?? null,
          department: input.department ?? null,
          buyingRole: input.buyingRole,
          stance: input.stance,
          influence: input.influence,
          ownerId: input.ownerId ?? null,
          createdBy: actorId,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      return toContactDto(row);
    },

    async updateContact(
      row: ContactRow,
      input: {
        name?: string;
        title?: string | null;
        department?: string | null;
        buyingRole?: string;
        stance?: string;
        influence?: number;
        ownerId?: string | null;
      },
    ): Promise<ContactDto> {
      if (input.ownerId) await checkOwner(input.ownerId);
      const set: Partial<ContactRow> = { updatedAt: new Date() };
      for (const k of [
        'name',
        'title',
        'department',
        'buyingRole',
        'stance',
        'influence',
        'ownerId',
      ] as const) {
        if (input[k] !== undefined) (set as Record<string, unknown>)[k] = input[k];
      }
      const [updated] = await db.update(contacts).set(set).where(eq(contacts.id, row.id)).returning();
      return toContactDto(updated);
    },

    async addInteraction(
      contactId: string,
      input: { at: string; kind: string; summary: string },
      actorId: string,
    ) {
      const [row] = await db
        .insert(contactInteractions)
        .values({ contactId, at: new Date(input.at), kind: input.kind, summary: input.summary, actorId })
        .returning();
      return interactionDto(row);
    },

    async interactions(contactId: string, q: { limit: number; cursor?: string }) {
      const cursor = decodeCursor(
        q.cursor,
        z.strictObject({ at: cursorFields.isoTimestamp, id: cursorFields.int }),
      );
      const where: (SQL | undefined)[] = [eq(contactInteractions.contactId, contactId)];
      if (cursor) {
        const at = new Date(cursor.at);
        where.push(
          or(
            lt(contactInteractions.at, at),
            and(eq(contactInteractions.at, at), lt(contactInteractions.id, cursor.id)),
          ),
        );
      }
      const rows = await db
        .select()
        .from(contactInteractions)
        .where(and(...where))
        .orderBy(desc(contactInteractions.at), desc(contactInteractions.id))
        .limit(q.limit + 1);
      const p = page(rows, q.limit, (last) => ({ at: last.at.toISOString(), id: last.id }));
      return { items: p.items.map(interactionDto), nextCursor: p.nextCursor };
    },
  };

  async function checkOwner(ownerId: string): Promise<void> {
    if (!(await knownUsers(db, [ownerId])).has(ownerId)) {
      throw badRequest('Unknown user', [{ path: 'body.ownerId', message: `unknown user ${ownerId}` }]);
    }
  }
}

const storableName = cursorFields.text;

function interactionDto(r: typeof contactInteractions.$inferSelect) {
  return {
    id: r.id,
    contactId: r.contactId,
    at: r.at.toISOString(),
    kind: r.kind as 'meeting' | 'call' | 'visit' | 'email',
    summary: r.summary,
    actorId: r.actorId,
    createdAt: r.createdAt.toISOString(),
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
