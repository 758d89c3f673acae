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
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { and, asc, desc, eq, gt, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { dealEvents, dealFaults, deals, signoffs, users } from '../../db/schema';
import type { DealView } from '../../domain/deal/machine';
import { checkRequirements } from '../../domain/deal/requirements';
import type { DealInput, RequiredApprover } from '../../domain/deal/types';
import type { ProcessVersion } from '../../domain/process/types';
import {
  type ActorArgs,
  type AmendArgs,
  amendUpdate,
  type CancelArgs,
  cancelUpdate,
  DEAL_WORKFLOW_TYPE,
  type DealWorkflowArgs,
  type HoldArgs,
  holdUpdate,
  type ReassignArgs,
  readyUpdate,
  reassignUpdate,
  resumeUpdate,
  type SignoffArgs,
  type SignoffResult,
  signoffUpdate,
  workflowIdForDeal,
} from '../../workflows/messages';
import type { AccountService } from '../accounts/service';
import { type DealScope, scopeCovers, visibleDealsWhere } from '../auth/access';
import { cursorFields, decodeCursor, page } from '../http/pagination';
import { badRequest, forbidden, notFound } from '../http/problem';
import { isClosedWorkflowError, unavailable, workflowProblem } from '../http/workflow-errors';
import { getProcessVersion } from '../process-definitions/repo';
import { type CreateAccess, checkNewDeal, processForNewDeal } from './admission';
import { evidenceOf } from './evidence';
import type { DealDto } from './schemas';

export interface DealServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  namespace: string;
  temporalUiUrl?: string;
  accounts: Pick<AccountService, 'forDeal'>;
}

type SignoffRow = typeof signoffs.$inferSelect;

type DealRow = typeof deals.$inferSelect & {
  /** Set while Postgres refuses or misses the deal's writes (see `deal_faults`). */
  fault?: { since: Date; error: string } | null;
};

/** A command as the caller sends it: the workflow's arguments without the verified actor. */
export type CommandBody = {
  hold: Omit<HoldArgs, 'actorId'>;
  resume: Omit<ActorArgs, 'actorId'>;
  reassign: Omit<ReassignArgs, 'actorId'>;
  cancel: Omit<CancelArgs, 'actorId'>;
  amend: Omit<AmendArgs, 'actorId' | 'mayRemove'>;
};
export type CommandKind = keyof CommandBody;
export type SignoffBodyArgs = Omit<SignoffArgs, 'actorId' | 'actingFor'>;

/** How long a caller waits for a command; past it, 503 with Retry-After (the command carries on). */
const COMMAND_DEADLINE_MS = 25_000;

export const DEFAULT_PROCESS_KEY = 'ltc-standard';

/** Deal ids are UUIDs; anything else is simply not found. */
const DEAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createDealService(deps: DealServiceDeps) {
  const { db, temporal } = deps;

  // Prepared (every command reads the deal's row first): one round trip to Postgres, where an
  // unprepared statement takes two (see executePrepared in db/client.ts). Built on first use, so an
  // app made without a database (the OpenAPI document's) needs none.
  let loadRowQuery: ReturnType<typeof prepareLoadRow> | undefined;
  function prepareLoadRow() {
    return db
      .select({ deal: deals, since: dealFaults.since, error: dealFaults.error })
      .from(deals)
      .leftJoin(dealFaults, eq(dealFaults.dealId, deals.id))
      .where(eq(deals.id, sql.placeholder('id')))
      .limit(1)
      .prepare('deal_row');
  }

  async function loadRow(id: string): Promise<DealRow | undefined> {
    if (!DEAL_ID.test(id)) return undefined;
    loadRowQuery ??= prepareLoadRow();
    const rows = await loadRowQuery.execute({ id });
    const r = rows[0];
    return r && { ...r.deal, fault: r.since && r.error ? { since: r.since, error: r.error } : null };
  }

  /** The deal if the caller may see it; otherwise 404 (unknown, malformed and invisible look alike). */
  async function visibleRow(id: string, scope: DealScope): Promise<DealRow> {
    const row = await loadRow(id);
    if (!row || !scopeCovers(scope, row)) throw notFound('No such deal');
    return row;
  }

  /** The sign-offs of each deal's current stage visit, for many deals in one query. */
  async function currentSignoffs(rows: DealRow[]): Promise<Map<string, SignoffRow[]>> {
    const byDeal = new Map<string, SignoffRow[]>();
    const current = rows.filter((r) => r.stageKey);
    if (current.length === 0) return byDeal;
    const found = await db
      .select()
      .from(signoffs)
      .where(
        sql`(${signoffs.dealId}, ${signoffs.stageKey}, ${signoffs.visit}) IN (${sql.join(
          current.map((r) => sql`(${r.id}::text, ${r.stageKey}::text, ${r.stageVisit ?? 0}::int)`),
          sql`, `,
        )})`,
      )
      .orderBy(asc(signoffs.at), asc(signoffs.id));
    for (const s of found) {
      const list = byDeal.get(s.dealId) ?? [];
      list.push(s);
      byDeal.set(s.dealId, list);
    }
    return byDeal;
  }

  /**
   * The deal as the API answers it. `known`: the sign-offs already loaded for a page of deals;
   * `requirements: false` (lists) leaves the stage's requirements out.
   */
  async function toDto(
    row: DealRow,
    opts: { known?: Map<string, SignoffRow[]>; requirements?: boolean } = {},
  ): Promise<DealDto> {
    const known = opts.known;
    const proc = await getProcessVersion(db, row.processKey, row.processVersion);
    const stageDef = proc?.definition.stages.find((s) => s.key === row.stageKey);
    let stage: DealDto['stage'] = null;
    if (row.stageKey && stageDef) {
      const rows = known ? (known.get(row.id) ?? []) : ((await currentSignoffs([row])).get(row.id) ?? []);
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
        requirements:
          opts.requirements !== false && stageDef.requires?.length
            ? checkRequirements(stageDef, await evidenceOf(db, row)).map((c) => ({
                requirement: c.requirement as Record<string, unknown>,
                label: c.label,
                met: c.met,
              }))
            : [],
      };
    }
    return {
      id: row.id,
      title: row.title,
      account: { id: row.accountId, name: row.accountName, tier: row.accountTier },
      value: { amount: Number(row.valueAmount), currency: row.currency },
      status: row.status as DealDto['status'],
      triangle: { AR: row.arId, SR: row.srId, FR: row.frId },
      process: { key: row.processKey, version: row.processVersion },
      stage,
      temporalUiUrl: temporalUiUrl(row.workflowId),
      fault: row.fault ? { since: row.fault.since.toISOString(), error: row.fault.error } : null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  function temporalUiUrl(workflowId: string): string | null {
    return deps.temporalUiUrl
      ? `${deps.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}`
      : null;
  }

  /** The deal as its workflow answered a command: no second read of Postgres. */
  function viewToDto(view: DealView, workflowId: string, accountId: string | null = null): DealDto {
    const s = view.stage;
    return {
      id: view.dealId,
      title: view.title,
      account: { id: accountId, name: view.account.name, tier: view.account.tier ?? null },
      value: view.value,
      status: view.status,
      triangle: view.triangle,
      process: view.process,
      stage: s
        ? {
            key: s.key,
            name: s.name,
            gate: s.gate,
            visit: s.visit,
            enteredAt: s.enteredAt,
            dueAt: s.dueAt,
            escalationLevel: s.escalationLevel,
            required: s.required.map((r) => ({ role: r.approver, userIds: r.userIds })),
            signoffs: s.signoffs.map((x) => ({
              role: x.role,
              userId: x.userId,
              actorId: x.actorId,
              decision: x.decision,
              comment: x.comment ?? null,
              at: x.at,
            })),
            waitingOn: s.waitingOn,
            requirements: (s.requirements ?? []).map((r) => ({
              requirement: r.requirement as Record<string, unknown>,
              label: r.label,
              met: r.met,
            })),
          }
        : null,
      temporalUiUrl: temporalUiUrl(workflowId),
      fault: view.fault ? { since: view.fault.since, error: view.fault.error } : null,
      createdAt: view.createdAt,
      updatedAt: new Date().toISOString(),
    };
  }

  /**
   * Send a command to the deal's workflow and wait for its answer, at most COMMAND_DEADLINE_MS (then
   * 503 with Retry-After; the command carries on, and a retry with the same Idempotency-Key joins it).
   * A command that reaches a run just as it continues as new is sent again to the new run.
   */
  async function runUpdate<R, A>(
    workflowId: string,
    def: UpdateDefinition<R, [A]>,
    args: A,
    id: string,
  ): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const handle = temporal.workflow.getHandle(workflowId);
      let timer: NodeJS.Timeout | undefined;
      try {
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(unavailable('The deal did not answer in time; retry with the same Idempotency-Key')),
            COMMAND_DEADLINE_MS,
          );
        });
        return await Promise.race([handle.executeUpdate(def, { args: [args], updateId: id }), deadline]);
      } catch (err) {
        if (attempt < 3 && isClosedWorkflowError(err) && (await stillRunning(workflowId))) continue;
        throw workflowProblem(err) ?? err;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** False only when Temporal says the workflow does not exist. */
  async function workflowMayExist(workflowId: string): Promise<boolean> {
    try {
      await temporal.workflow.getHandle(workflowId).describe();
      return true;
    } catch (err) {
      return !(err instanceof WorkflowNotFoundError);
    }
  }

  async function stillRunning(workflowId: string): Promise<boolean> {
    try {
      return (await temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch {
      return false;
    }
  }

  return {
    loadRow,
    visibleRow,
    toDto,
    viewToDto,

    async get(id: string, scope: DealScope): Promise<DealDto> {
      return toDto(await visibleRow(id, scope));
    },

    /** Create the deal row, start its workflow and wait until it has entered its first stage. */
    async create(
      input: {
        title: string;
        account: { id?: string; name?: string; tier?: string };
        expectedCloseDate?: string;
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
      const account = await deps.accounts.forDeal(input.account, createdBy);
      const id = randomUUID();
      const now = new Date();
      const row = {
        id,
        workflowId: workflowIdForDeal(id),
        title: input.title,
        accountId: account.id,
        accountName: input.account.id !== undefined ? account.name : input.account.name!,
        accountTier: input.account.id !== undefined ? account.tier : (input.account.tier ?? null),
        expectedCloseDate: input.expectedCloseDate ?? null,
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
      let view: DealView | undefined;
      try {
        view = await startAndWait(inserted, proc);
      } catch (err) {
        // No workflow, no deal: remove the row unless the workflow already wrote to it, or may be
        // running (a start that timed out or lost Temporal half-way). Deleting the row under a
        // running workflow would leave it unable to write anything, ever (found by `npm run
        // chaos`); kept, the deal carries on, and a retry with the same Idempotency-Key joins it.
        if (!(await workflowMayExist(inserted.workflowId))) {
          await db.delete(deals).where(and(eq(deals.id, id), eq(deals.projectionSeq, 0)));
        }
        throw workflowProblem(err) ?? err;
      }
      // The deal as its workflow answered once it had entered (and written) its first stage.
      return { deal: await answer(inserted, view), replayed: false };
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
        // Ops see every deal: read them newest first along deals_created_idx. A restricted scope is
        // found through the role-holder indexes and sorted: walking the whole table by date and
        // filtering would read nearly all of it for a manager's 1 % (600 ms at 100,000 deals).
        .orderBy(
          ...(scope.all
            ? [desc(deals.createdAt), desc(deals.id)]
            : [desc(sql`${deals.createdAt} + interval '0 seconds'`), desc(sql`${deals.id} || ''`)]),
        )
        .limit(q.limit + 1);
      const p = page(rows, q.limit, (last) => ({ createdAt: last.createdAt.toISOString(), id: last.id }));
      // One query for the page's sign-offs, not one per deal.
      const known = await currentSignoffs(p.items);
      return {
        items: await Promise.all(p.items.map((r) => toDto(r, { known, requirements: false }))),
        nextCursor: p.nextCursor,
      };
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
          data: e.data,
        })),
        nextCursor: p.nextCursor,
      };
    },

    /**
     * Sign off through the workflow's Update; the Idempotency-Key becomes the update id. Answers the
     * deal as it is after the sign-off (in its next stage when the sign-off decided the stage).
     */
    async signoff(
      row: DealRow,
      args: SignoffBodyArgs,
      actor: { id: string; actingFor: string[] },
      idempotencyKey?: string,
    ): Promise<{ deal: DealDto; result: SignoffResult }> {
      const result = await runUpdate(
        row.workflowId,
        signoffUpdate,
        { ...args, actorId: actor.id, actingFor: actor.actingFor },
        updateId('signoff', actor.id, idempotencyKey),
      );
      return { deal: await answer(row, result.deal), result };
    },

    /** A manager's or ops' command; answers the deal as it is after it. */
    async command<K extends CommandKind>(
      row: DealRow,
      kind: K,
      args: CommandBody[K] & { mayRemove?: AmendArgs['mayRemove'] },
      actorId: string,
      idempotencyKey?: string,
    ): Promise<DealDto> {
      const defs = {
        hold: holdUpdate,
        resume: resumeUpdate,
        reassign: reassignUpdate,
        cancel: cancelUpdate,
        amend: amendUpdate,
      } as const;
      const view = await runUpdate(
        row.workflowId,
        defs[kind] as UpdateDefinition<DealView, [CommandBody[K] & ActorArgs]>,
        { ...args, actorId },
        updateId(kind, actorId, idempotencyKey),
      );
      return answer(row, view);
    },

    forbidden,
  };

  /**
   * The deal as a command answered it: from the workflow's own answer (runs since `deal-v3`), or read
   * back from Postgres (older runs, whose commands answer before the projection moved).
   */
  async function answer(row: DealRow, view: DealView | undefined): Promise<DealDto> {
    if (view && 'createdAt' in view) return viewToDto(view, row.workflowId, row.accountId);
    return toDto((await loadRow(row.id))!);
  }

  /**
   * Start the deal's workflow (or join it) and wait until it has entered its first stage; answers the
   * deal as the workflow has it then (undefined when the deal had already finished).
   */
  async function startAndWait(row: DealRow, proc: ProcessVersion): Promise<DealView | undefined> {
    const args: DealWorkflowArgs = {
      start: { ...dealInputOf(row, proc), evidence: await evidenceOf(db, row) },
    };
    const startWorkflowOperation = new WithStartWorkflowOperation(DEAL_WORKFLOW_TYPE, {
      workflowId: row.workflowId,
      taskQueue: deps.taskQueue,
      args: [args],
      // A retried creation joins the running workflow; a finished deal is never started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    try {
      return await temporal.workflow.executeUpdateWithStart(readyUpdate, { startWorkflowOperation });
    } catch (err) {
      // The deal already finished (an idempotent replay of an old creation): nothing to wait for.
      if (err instanceof WorkflowExecutionAlreadyStartedError || isClosedWorkflowError(err)) return undefined;
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

export type DealService = ReturnType<typeof createDealService>;
