/**
 * Evidence for gates (`requires` in a process stage): what a deal has, read from Postgres (its
 * account's decision chain, its fields, its attachments), and telling the deal's workflow when it
 * changes (the `evidence` Update), so a stage whose sign-offs are in completes at once.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client';
import { accounts, contacts, dealAttachments, deals } from '../../db/schema';
import type { Evidence } from '../../domain/deal/requirements';
import { evidenceUpdate, workflowIdForDeal } from '../../workflows/messages';

/** What an account gives every one of its deals: its decision chain's known stances, its fields. */
interface AccountEvidence {
  knownStance: Record<string, number>;
  fields: string[];
}

async function accountEvidence(db: Db, accountId: string): Promise<AccountEvidence> {
  const knownStance: Record<string, number> = {};
  const fields: string[] = [];
  const rows = await db
    .select({ role: contacts.buyingRole, n: sql<number>`count(*)::int` })
    .from(contacts)
    .where(and(eq(contacts.accountId, accountId), ne(contacts.stance, 'unknown')))
    .groupBy(contacts.buyingRole);
  for (const r of rows) knownStance[r.role] = r.n;
  const [account] = await db
    .select({ industry: accounts.industry, region: accounts.region })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (account?.industry) fields.push('account.industry');
  if (account?.region) fields.push('account.region');
  return { knownStance, fields };
}

/**
 * What a deal (or a deal about to be created on this account) has for its stages' requirements.
 * `ofAccount` reads the account's part; callers telling many deals of one account read it once.
 */
export async function evidenceOf(
  db: Db,
  deal: { id?: string; accountId: string | null; expectedCloseDate?: string | null },
  ofAccount: (accountId: string) => Promise<AccountEvidence> = (id) => accountEvidence(db, id),
): Promise<Evidence> {
  const at = Date.now();
  const fields: string[] = [];
  if (deal.expectedCloseDate) fields.push('deal.expectedCloseDate');
  const account = deal.accountId ? await ofAccount(deal.accountId) : { knownStance: {}, fields: [] };
  fields.push(...account.fields);
  const attachments = deal.id
    ? (
        await db
          .selectDistinct({ kind: dealAttachments.kind })
          .from(dealAttachments)
          .where(eq(dealAttachments.dealId, deal.id))
      ).map((r) => r.kind)
    : [];
  return { at, knownStance: { ...account.knownStance }, fields, attachments: attachments.sort() };
}

/**
 * Tell these deals' workflows what they have now. Best effort and bounded: a deal that is not
 * running, or runs code from before gates asked for evidence, is skipped; its next change tells it
 * again. Never fails the request that changed the evidence.
 */
export async function tellDeals(
  deps: { db: Db; temporal: Client; logger?: Logger },
  dealIds: string[],
  actorId: string,
): Promise<void> {
  if (dealIds.length === 0) return;
  const rows = await deps.db
    .select({ id: deals.id, accountId: deals.accountId, expectedCloseDate: deals.expectedCloseDate })
    .from(deals)
    .where(and(inArray(deals.id, dealIds), inArray(deals.status, ['active', 'on_hold'])));
  // The deals of one account share its part of the evidence: read it once per account.
  const accountsRead = new Map<string, Promise<AccountEvidence>>();
  const ofAccount = (accountId: string) => {
    let read = accountsRead.get(accountId);
    if (!read) {
      read = accountEvidence(deps.db, accountId);
      accountsRead.set(accountId, read);
    }
    return read;
  };
  for (let i = 0; i < rows.length; i += TELL_AT_ONCE) {
    await tellSome(rows.slice(i, i + TELL_AT_ONCE));
  }
  async function tellSome(some: typeof rows) {
    await Promise.all(
      some.map(async (row) => {
        try {
          const evidence = await evidenceOf(deps.db, row, ofAccount);
          await deps.temporal.workflow.getHandle(workflowIdForDeal(row.id)).executeUpdate(evidenceUpdate, {
            args: [{ actorId, evidence }],
            updateId: `evidence:${randomUUID()}`,
          });
        } catch (err) {
          deps.logger?.warn({ err, dealId: row.id }, 'could not tell the deal about its evidence');
        }
      }),
    );
  }
}

/** Deals told at once (an account's contact change reaches all its running deals). */
const TELL_AT_ONCE = 20;

/** The running deals of an account (to tell after its contacts or fields change), at most 500. */
export async function openDealsOf(db: Db, accountId: string): Promise<string[]> {
  const rows = await db
    .select({ id: deals.id })
    .from(deals)
    .where(and(eq(deals.accountId, accountId), inArray(deals.status, ['active', 'on_hold'])))
    .limit(500);
  return rows.map((r) => r.id);
}
