/**
 * The offboarding workflow's activities (workflows/offboard.ts). Each is idempotent: items are
 * recorded once (unique per person, kind, item and role; ON CONFLICT DO NOTHING), and a deal's role
 * is handed over by the deal's `reassign` Update under a fixed update id, which the deal answers
 * from memory when it already applied it.
 */
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import {
  accountRoleHistory,
  accounts,
  apiTokens,
  contacts,
  deals,
  delegations,
  offboardingItems,
  offboardings,
} from '../db/schema';
import { teamConflicts } from '../domain/account';
import { TRIANGLE_ROLES, type TriangleRole } from '../domain/process/types';
import { REFUSAL_FAILURE_TYPE, reassignUpdate, workflowIdForDeal } from '../workflows/messages';

export interface OffboardArgs {
  userId: string;
  successorId: string;
  reason: string;
  /** Who asked for it (recorded as the actor of every change). */
  actorId: string;
}

/** Refusals that leave the item for a manager to resolve; anything else is retried. */
const NOT_MOVABLE = new Set(['triangle_conflict', 'invalid', 'not_active']);

export function createOffboardActivities(deps: { db: Db; client?: Client }) {
  const { db } = deps;

  async function record(
    userId: string,
    kind: 'deal' | 'account' | 'contact',
    itemId: string,
    role: string,
    outcome: 'moved' | 'not_moved',
    reason: string | null,
  ) {
    await db
      .insert(offboardingItems)
      .values({ userId, kind, itemId, role, outcome, reason })
      .onConflictDoNothing();
  }

  return {
    /** Tokens revoked, delegations ended, account-team roles and contact relationships moved. */
    async offboardHoldings(args: OffboardArgs): Promise<void> {
      const now = new Date();
      await db.transaction(async (tx) => {
        const revoked = await tx
          .update(apiTokens)
          .set({ revokedAt: now })
          .where(and(eq(apiTokens.userId, args.userId), isNull(apiTokens.revokedAt)))
          .returning({ id: apiTokens.id });
        const ended = await tx
          .update(delegations)
          .set({ validUntil: now, updatedAt: now })
          .where(
            and(
              or(eq(delegations.userId, args.userId), eq(delegations.delegateId, args.userId)),
              gt(delegations.validUntil, now),
            ),
          )
          .returning({ id: delegations.userId });
        await tx
          .update(offboardings)
          .set({
            tokensRevoked: sql`${offboardings.tokensRevoked} + ${revoked.length}`,
            delegationsEnded: sql`${offboardings.delegationsEnded} + ${ended.length}`,
          })
          .where(eq(offboardings.userId, args.userId));
      });

      const held = await db
        .select()
        .from(accounts)
        .where(
          or(eq(accounts.arId, args.userId), eq(accounts.srId, args.userId), eq(accounts.frId, args.userId)),
        );
      for (const a of held) {
        await db.transaction(async (tx) => {
          const [row] = await tx.select().from(accounts).where(eq(accounts.id, a.id)).for('update');
          const team = { AR: row.arId, SR: row.srId, FR: row.frId };
          for (const role of TRIANGLE_ROLES) {
            if (team[role] !== args.userId) continue;
            const next = { ...team, [role]: args.successorId };
            const clash = teamConflicts(next).find((c) => c.role === role || c.sameAs === role);
            if (clash) {
              await record(
                args.userId,
                'account',
                a.id,
                role,
                'not_moved',
                `${args.successorId} already holds ${clash.role === role ? clash.sameAs : clash.role} on this account team; the team is three people`,
              );
              continue;
            }
            team[role] = args.successorId;
            const column = ({ AR: 'arId', SR: 'srId', FR: 'frId' } as const)[role];
            await tx
              .update(accounts)
              .set({ [column]: args.successorId, updatedAt: now })
              .where(eq(accounts.id, a.id));
            await tx
              .update(accountRoleHistory)
              .set({ until: now })
              .where(
                and(
                  eq(accountRoleHistory.accountId, a.id),
                  eq(accountRoleHistory.role, role),
                  isNull(accountRoleHistory.until),
                ),
              );
            await tx.insert(accountRoleHistory).values({
              accountId: a.id,
              role,
              userId: args.successorId,
              since: now,
              actorId: args.actorId,
              reason: args.reason,
            });
            await tx
              .insert(offboardingItems)
              .values({
                userId: args.userId,
                kind: 'account',
                itemId: a.id,
                role,
                outcome: 'moved',
                reason: null,
              })
              .onConflictDoNothing();
          }
        });
      }

      await db.transaction(async (tx) => {
        const moved = await tx
          .update(contacts)
          .set({ ownerId: args.successorId, updatedAt: now })
          .where(eq(contacts.ownerId, args.userId))
          .returning({ id: contacts.id });
        if (moved.length) {
          await tx
            .insert(offboardingItems)
            .values(
              moved.map((c) => ({
                userId: args.userId,
                kind: 'contact',
                itemId: c.id,
                role: '',
                outcome: 'moved',
                reason: null,
              })),
            )
            .onConflictDoNothing();
        }
      });
    },

    /** The next running deals where the person still holds a role not yet handed over or refused. */
    async offboardDealBatch(args: {
      userId: string;
      limit: number;
    }): Promise<{ dealId: string; role: TriangleRole }[]> {
      const rows = await db
        .select({ id: deals.id, arId: deals.arId, srId: deals.srId, frId: deals.frId })
        .from(deals)
        .where(
          and(
            inArray(deals.status, ['active', 'on_hold']),
            or(eq(deals.arId, args.userId), eq(deals.srId, args.userId), eq(deals.frId, args.userId)),
          ),
        )
        .orderBy(deals.id);
      const done = await db
        .select({ itemId: offboardingItems.itemId, role: offboardingItems.role })
        .from(offboardingItems)
        .where(and(eq(offboardingItems.userId, args.userId), eq(offboardingItems.kind, 'deal')));
      const seen = new Set(done.map((d) => `${d.itemId}:${d.role}`));
      const out: { dealId: string; role: TriangleRole }[] = [];
      for (const r of rows) {
        const triangle = { AR: r.arId, SR: r.srId, FR: r.frId };
        for (const role of TRIANGLE_ROLES) {
          if (triangle[role] === args.userId && !seen.has(`${r.id}:${role}`))
            out.push({ dealId: r.id, role });
        }
        if (out.length >= args.limit) break;
      }
      return out.slice(0, args.limit);
    },

    /** Hand one role of one deal over through the deal's own Update; record the outcome. */
    async offboardDeal(args: OffboardArgs & { dealId: string; role: TriangleRole }): Promise<void> {
      if (!deps.client) throw ApplicationFailure.nonRetryable('the worker has no Temporal client');
      try {
        await deps.client.workflow.getHandle(workflowIdForDeal(args.dealId)).executeUpdate(reassignUpdate, {
          args: [{ role: args.role, userId: args.successorId, reason: args.reason, actorId: args.actorId }],
          updateId: `offboard:${args.userId}:${args.dealId}:${args.role}`,
        });
        await record(args.userId, 'deal', args.dealId, args.role, 'moved', null);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          const f = err.cause;
          const code = (f.details?.[0] as { code?: string } | undefined)?.code;
          if (f.type === REFUSAL_FAILURE_TYPE && code && NOT_MOVABLE.has(code)) {
            await record(args.userId, 'deal', args.dealId, args.role, 'not_moved', f.message);
            return;
          }
        }
        if (
          err instanceof WorkflowNotFoundError ||
          /already completed/i.test(String((err as Error)?.message))
        ) {
          await record(
            args.userId,
            'deal',
            args.dealId,
            args.role,
            'not_moved',
            'The deal is no longer running',
          );
          return;
        }
        throw err;
      }
    },

    async offboardFinish(args: { userId: string }): Promise<void> {
      await db
        .update(offboardings)
        .set({ status: 'completed', finishedAt: new Date() })
        .where(and(eq(offboardings.userId, args.userId), eq(offboardings.status, 'running')));
    },
  };
}

export type OffboardActivities = ReturnType<typeof createOffboardActivities>;
