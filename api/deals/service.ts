/**
 * Deal use cases behind the HTTP routes. Reads come from the Postgres projection (never a fan-out
 * of workflow queries); commands go to the deal's workflow as Updates, whose validators refuse a
 * wrong role or a stale stage at once.
 */
import { randomUUID } from 'node:crypto';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, desc, eq, gt, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { dealEvents, deals, signoffs, users } from '../../db/schema';
import type { DealInput, RequiredApprover } from '../../domain/deal/types';
import type { ProcessVersion } from '../../domain/process/types';
import type { DealWorkflowArgs } from '../../workflows/deal';
import {
  amendUpdate,
  cancelUpdate,
  DEAL_WORKFLOW_TYPE,
  holdUpdate,
  REFUSAL_FAILURE_TYPE,
  readyUpdate,
  reassignUpdate,
  resumeUpdate,
  signoffUpdate,
  workflowIdForDeal,
} from '../../workflows/messages';
import { type DealScope, scopeCovers, visibleDealsWhere } from '../auth/access';
import { cursorFields, decodeCursor, page } from '../http/pagination';
import { badRequest, conflict, forbidden, HttpProblem, notFound } from '../http/problem';
import { getProcessVersion } from '../process-definitions/repo';
import { type CreateAccess, checkNewDeal, processForNewDeal } from './admission';
import type { DealDto } from './schemas';

export interface DealServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  namespace: string;
  temporalUiUrl?: string;
}

type DealRow = typeof deals.$inferSelect;

export const DEFAULT_PROCESS_KEY = 'ltc-standard';

/** Deal ids are UUIDs; anything else is simply not found. */
const DEAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createDealService(deps: DealServiceDeps) {
  const { db, temporal } = deps;

  async function loadRow(id: string): Promise<DealRow | undefined> {
    if (!DEAL_ID.test(id)) return undefined;
    const rows = await db.select().from(deals).where(eq(deals.id, id)).limit(1);
    return rows[0];
  }

  /** The deal if the caller may see it; otherwise 404 (unknown, malformed and invisible look alike). */
  async function visibleRow(id: string, scope: DealScope): Promise<DealRow> {
    const row = await loadRow(id);
    if (!row || !scopeCovers(scope, row)) throw notFound('No such deal');
    return row;
  }

  async function toDto(row: DealRow): Promise<DealDto> {
    const proc = await getProcessVersion(db, row.processKey, row.processVersion);
    const stageDef = proc?.definition.stages.find((s) => s.key === row.stageKey);
    let stage: DealDto['stage'] = null;
    if (row.stageKey && stageDef) {
      const rows = await db
        .select()
        .from(signoffs)
        .where(
          and(
            eq(signoffs.dealId, row.id),
            eq(signoffs.stageKey, row.stageKey),
            eq(signoffs.visit, row.stageVisit ?? 0),
          ),
        )
        .orderBy(asc(signoffs.at), asc(signoffs.id));
      stage = {
        key: row.stageKey,
        name: stageDef.name,
        gate: stageDef.gate ?? null,
        visit: row.stageVisit ?? 1,
        enteredAt: row.stageEnteredAt?.toISOString() ?? null,
        dueAt: row.dueAt?.toISOString() ?? null,
        escalationLevel: row.escalationLevel,
        required: (row.required as RequiredApprover[]).map((r) => ({ role: r.approver, userIds: r.userIds })),
        signoffs: rows.map((s) => ({
          role: s.role,
          userId: s.userId,
          actorId: s.actorId,
          decision: s.decision as 'approve' | 'reject',
          comment: s.comment,
          at: s.at.toISOString(),
        })),
        waitingOn: row.waitingOn as { role: string; userId: string }[],
      };
    }
    return {
      id: row.id,
      title: row.title,
      account: { name: row.accountName, tier: row.accountTier },
      value: { amount: Number(row.valueAmount), currency: row.currency },
      status: row.status as DealDto['status'],
      triangle: { AR: row.arId, SR: row.srId, FR: row.frId },
      process: { key: row.processKey, version: row.processVersion },
      stage,
      temporalUiUrl: deps.temporalUiUrl
        ? `${deps.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(row.workflowId)}`
        : null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  /** Map a refused Update to HTTP: 409 for state conflicts, 403 for the wrong signer, 400 for bad input. */
  function refusalToProblem(err: unknown): never {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const f = err.cause;
      if (f.type === REFUSAL_FAILURE_TYPE) {
        const code = (f.details?.[0] as { code?: string } | undefined)?.code ?? 'conflict';
        const extensions = { code };
        if (code === 'role_not_required' || code === 'not_assignee') {
          throw new HttpProblem(403, { type: code.replace(/_/g, '-'), detail: f.message, extensions });
        }
        if (code === 'comment_required' || code === 'invalid' || code === 'role_ambiguous') {
          const field =
            (f.details?.[0] as { field?: string } | undefined)?.field ??
            (code === 'comment_required' ? 'comment' : 'role');
          throw new HttpProblem(400, {
            type: code.replace(/_/g, '-'),
            detail: f.message,
            extensions,
            errors: [{ path: `body.${field}`, message: f.message }],
          });
        }
        throw new HttpProblem(409, { type: code.replace(/_/g, '-'), detail: f.message, extensions });
      }
    }
    if (err instanceof WorkflowNotFoundError || isClosedWorkflowError(err)) {
      throw conflict('The deal is no longer active', { code: 'not_active' });
    }
    throw temporalProblem(err);
  }

  return {
    loadRow,
    visibleRow,
    toDto,

    async get(id: string, scope: DealScope): Promise<DealDto> {
      return toDto(await visibleRow(id, scope));
    },

    /** Create the deal row, start its workflow and wait until it has entered its first stage. */
    async create(
      input: {
        title: string;
        account: { name: string; tier?: string };
        value: { amount: number; currency: string };
        triangle: { AR: string; SR: string; FR: string };
        process?: { key: string; version?: number };
      },
      createdBy: string,
      idempotencyKey: string | undefined,
      access: CreateAccess,
    ): Promise<{ deal: DealDto; replayed: boolean }> {
      if (idempotencyKey) {
        const existing = await db
          .select()
          .from(deals)
          .where(and(eq(deals.createdBy, createdBy), eq(deals.idempotencyKey, idempotencyKey)))
          .limit(1);
        if (existing[0]) {
          // A replayed creation: join (or, after a crash, start) the deal's workflow.
          const proc = await getProcessVersion(db, existing[0].processKey, existing[0].processVersion);
          if (proc) await startAndWait(existing[0], proc);
          const row = (await loadRow(existing[0].id))!;
          if (!(await access.canSee(row))) throw notFound('No such deal');
          return { deal: await toDto(row), replayed: true };
        }
      }
      const people = [...new Set(Object.values(input.triangle))];
      const known = new Set(
        (await db.select({ id: users.id }).from(users).where(inArray(users.id, people))).map((u) => u.id),
      );
      const unknown = (['AR', 'SR', 'FR'] as const).filter((r) => !known.has(input.triangle[r]));
      if (unknown.length) {
        throw badRequest(
          'The triangle names unknown users',
          unknown.map((r) => ({ path: `body.triangle.${r}`, message: `unknown user ${input.triangle[r]}` })),
        );
      }
      const key = input.process?.key ?? DEFAULT_PROCESS_KEY;
      const proc = await processForNewDeal(db, key, input.process?.version, access);
      checkNewDeal(input, proc);
      const id = randomUUID();
      const now = new Date();
      const row = {
        id,
        workflowId: workflowIdForDeal(id),
        title: input.title,
        accountName: input.account.name,
        accountTier: input.account.tier ?? null,
        valueAmount: input.value.amount,
        currency: input.value.currency,
        status: 'active',
        processKey: proc.key,
        processVersion: proc.version,
        arId: input.triangle.AR,
        srId: input.triangle.SR,
        frId: input.triangle.FR,
        createdBy,
        idempotencyKey: idempotencyKey ?? null,
        createdAt: now,
        updatedAt: now,
      };
      const [inserted] = await db.insert(deals).values(row).onConflictDoNothing().returning();
      if (!inserted) {
        // A concurrent request with the same Idempotency-Key won the race.
        return this.create(input, createdBy, idempotencyKey, access);
      }
      try {
        await startAndWait(inserted, proc);
      } catch (err) {
        // No workflow, no deal: remove the row unless the workflow already wrote to it.
        await db.delete(deals).where(and(eq(deals.id, id), eq(deals.projectionSeq, 0)));
        throw temporalProblem(err);
      }
      return { deal: await toDto((await loadRow(id))!), replayed: false };
    },

    async list(
      scope: DealScope,
      q: {
        limit: number;
        cursor?: string;
        stage?: string;
        status?: string;
        userId?: string;
        overdue?: boolean;
        q?: string;
      },
    ) {
      const where: (SQL | undefined)[] = [];
      where.push(visibleDealsWhere(scope));
      if (q.stage) where.push(eq(deals.stageKey, q.stage));
      if (q.status) where.push(eq(deals.status, q.status));
      if (q.userId)
        where.push(or(eq(deals.arId, q.userId), eq(deals.srId, q.userId), eq(deals.frId, q.userId)));
      if (q.overdue === true) where.push(sql`${deals.status} = 'active' AND ${deals.dueAt} < now()`);
      if (q.overdue === false) where.push(sql`NOT (${deals.status} = 'active' AND ${deals.dueAt} < now())`);
      if (q.q) {
        const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        where.push(or(sql`${deals.title} ILIKE ${like}`, sql`${deals.accountName} ILIKE ${like}`));
      }
      const cursor = decodeCursor(
        q.cursor,
        z.strictObject({ createdAt: cursorFields.isoTimestamp, id: z.string().regex(DEAL_ID) }),
      );
      if (cursor) {
        const at = new Date(cursor.createdAt);
        where.push(or(lt(deals.createdAt, at), and(eq(deals.createdAt, at), lt(deals.id, cursor.id))));
      }
      const rows = await db
        .select()
        .from(deals)
        .where(and(...where))
        .orderBy(desc(deals.createdAt), desc(deals.id))
        .limit(q.limit + 1);
      const p = page(rows, q.limit, (last) => ({ createdAt: last.createdAt.toISOString(), id: last.id }));
      return { items: await Promise.all(p.items.map(toDto)), nextCursor: p.nextCursor };
    },

    async timeline(id: string, scope: DealScope, q: { limit: number; cursor?: string }) {
      await visibleRow(id, scope);
      const cursor = decodeCursor(q.cursor, z.strictObject({ seq: cursorFields.int }));
      const rows = await db
        .select()
        .from(dealEvents)
        .where(and(eq(dealEvents.dealId, id), cursor ? gt(dealEvents.seq, cursor.seq) : undefined))
        .orderBy(asc(dealEvents.seq))
        .limit(q.limit + 1);
      const p = page(rows, q.limit, (last) => ({ seq: last.seq }));
      return {
        items: p.items.map((e) => ({
          seq: e.seq,
          type: e.type,
          at: e.at.toISOString(),
          stage: e.stage,
          actorId: e.actorId,
          onBehalfOfId: e.onBehalfOfId,
          data: e.data as Record<string, unknown>,
        })),
        nextCursor: p.nextCursor,
      };
    },

    /** Sign off through the workflow's Update; the Idempotency-Key becomes the update id. */
    async signoff(
      row: DealRow,
      args: { stage: string; role?: string; decision: 'approve' | 'reject'; comment?: string },
      actor: { id: string; actingFor: string[] },
      idempotencyKey?: string,
    ) {
      const handle = temporal.workflow.getHandle(row.workflowId);
      try {
        return await handle.executeUpdate(signoffUpdate, {
          args: [
            {
              stage: args.stage,
              ...(args.role ? { role: args.role as never } : {}),
              decision: args.decision,
              ...(args.comment ? { comment: args.comment } : {}),
              actorId: actor.id,
              actingFor: actor.actingFor,
            },
          ],
          updateId: updateId('signoff', actor.id, idempotencyKey),
        });
      } catch (err) {
        refusalToProblem(err);
      }
    },

    async command(
      row: DealRow,
      kind: 'hold' | 'resume' | 'reassign' | 'cancel' | 'amend',
      args: Record<string, unknown>,
      actorId: string,
      idempotencyKey?: string,
    ) {
      const handle = temporal.workflow.getHandle(row.workflowId);
      const def = {
        hold: holdUpdate,
        resume: resumeUpdate,
        reassign: reassignUpdate,
        cancel: cancelUpdate,
        amend: amendUpdate,
      }[kind];
      try {
        await handle.executeUpdate(def as typeof holdUpdate, {
          args: [{ ...args, actorId } as never],
          updateId: updateId(kind, actorId, idempotencyKey),
        });
      } catch (err) {
        refusalToProblem(err);
      }
    },

    forbidden,
  };

  /** Start the deal's workflow (or join it) and wait until it has entered its first stage. */
  async function startAndWait(row: DealRow, proc: ProcessVersion): Promise<void> {
    const args: DealWorkflowArgs = { start: dealInputOf(row, proc) };
    const startWorkflowOperation = new WithStartWorkflowOperation(DEAL_WORKFLOW_TYPE, {
      workflowId: row.workflowId,
      taskQueue: deps.taskQueue,
      args: [args],
      // A retried creation joins the running workflow; a finished deal is never started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    try {
      await temporal.workflow.executeUpdateWithStart(readyUpdate, { startWorkflowOperation });
    } catch (err) {
      // The deal already finished (an idempotent replay of an old creation): nothing to wait for.
      if (err instanceof WorkflowExecutionAlreadyStartedError || isClosedWorkflowError(err)) return;
      throw err;
    }
  }
}

/** The workflow's start input: the deal row and the process version it is pinned to. */
function dealInputOf(row: DealRow, proc: ProcessVersion): DealInput {
  return {
    dealId: row.id,
    title: row.title,
    account: { name: row.accountName, ...(row.accountTier ? { tier: row.accountTier } : {}) },
    value: { amount: Number(row.valueAmount), currency: row.currency },
    triangle: { AR: row.arId, SR: row.srId, FR: row.frId },
    process: { key: proc.key, version: proc.version },
    definition: proc.definition,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * The Idempotency-Key becomes the update id, so Temporal answers a retried request with the first
 * result. It is scoped by command and caller: the same key from another user or for another command
 * is a different request, not a retry.
 */
function updateId(kind: string, actorId: string, idempotencyKey?: string): string {
  return idempotencyKey ? `${kind}:${actorId}:${idempotencyKey}` : `${kind}:${randomUUID()}`;
}

/** Temporal unreachable or overloaded: 503 with Retry-After, not a 500. */
function temporalProblem(err: unknown): unknown {
  if (err instanceof HttpProblem) return err;
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  // gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8)
  if (code === 14 || code === 4 || code === 8) {
    return new HttpProblem(503, {
      type: 'temporal-unavailable',
      detail: 'The workflow service is unavailable; retry shortly',
      headers: { 'Retry-After': '5' },
    });
  }
  return err;
}

function isClosedWorkflowError(err: unknown): boolean {
  return /workflow execution already completed/i.test(String((err as Error)?.message ?? ''));
}

export type DealService = ReturnType<typeof createDealService>;
