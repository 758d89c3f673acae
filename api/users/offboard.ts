/**
 * Offboarding: `POST /users/:id/offboard {successor, reason}` hands everything a person holds to a
 * successor (every role on their running deals, their account-team roles, their contact
 * relationships), revokes their tokens and ends their delegations. It runs as a Temporal workflow
 * of its own (workflows/offboard.ts), so a crash finishes the job. One offboarding per person: a
 * second request does nothing more and answers the report, which ops read again with GET.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { asc, eq } from 'drizzle-orm';
import express from 'express';
import { z } from 'zod';
import { offboardingItems, offboardings, users } from '../../db/schema';
import { OFFBOARD_WORKFLOW_TYPE, workflowIdForOffboarding } from '../../workflows/messages';
import { reportingLine } from '../auth/access';
import { principalOf } from '../auth/authenticate';
import { isAdmin, isOps, type Principal } from '../auth/principal';
import type { FeatureDeps, FeatureRoutes } from '../feature';
import { badRequest, conflict, forbidden, notFound } from '../http/problem';
import { storableText } from '../http/storable';
import { UserParams } from './schemas';

/** How long the request waits for the offboarding to finish before answering 202 (it carries on). */
const WAIT_MS = 20_000;

export const OffboardBody = z
  .object({
    successor: storableText().trim().min(1).max(100).describe('The user who takes over'),
    reason: storableText().trim().min(1, 'a reason is required').max(2000),
  })
  .strict();

const RoleItem = z.object({ id: z.string(), role: z.enum(['AR', 'SR', 'FR']) });
export const OffboardingSchema = z
  .object({
    userId: z.string(),
    successorId: z.string(),
    reason: z.string(),
    requestedBy: z.string(),
    status: z.enum(['running', 'completed']),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    tokensRevoked: z.number().int(),
    delegationsEnded: z.number().int(),
    moved: z.object({
      deals: z.array(RoleItem),
      accounts: z.array(RoleItem),
      contacts: z.array(z.object({ id: z.string() })),
    }),
    notMoved: z
      .array(
        z.object({
          kind: z.enum(['deal', 'account', 'contact']),
          id: z.string(),
          role: z.string().nullable(),
          reason: z.string(),
        }),
      )
      .describe('Left for a manager to resolve, with the reason (e.g. the three-people rule)'),
  })
  .meta({ id: 'Offboarding' });
type OffboardingDto = z.output<typeof OffboardingSchema>;

export const offboardRoutes: FeatureRoutes = (registry, deps) => {
  const { db } = deps;
  const router = express.Router();

  /** Admins and ops, and managers above the person, may act on and read an offboarding. */
  async function authorise(p: Principal, userId: string, write: boolean) {
    const [person] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
    const above = person ? (await reportingLine(db, p.id)).includes(userId) : false;
    const allowed = isAdmin(p) || (!write && isOps(p)) || above;
    if (!person) throw notFound('No such user');
    if (!allowed) {
      throw forbidden(
        write
          ? 'Only an admin or the person’s manager may offboard them'
          : 'Only ops and the person’s managers may read this',
      );
    }
    return person;
  }

  registry.route(
    router,
    {
      method: 'post',
      path: '/users/:id/offboard',
      summary: 'Offboard a person: everything they hold passes to a successor (admin or their manager)',
      description:
        'Moves every role on their running deals (each deal records `role.reassigned` with the reason), ' +
        'their account-team roles and their contact relationships to `successor`, revokes their tokens and ' +
        'ends their delegations. It runs as a workflow with retries: 200 with the report when it finished ' +
        'within the request, 202 with the report so far otherwise (read it again with GET). What could not ' +
        'move is listed with the reason. Calling it again does nothing more and answers the same report ' +
        '(409 when it names another successor).',
      tags: ['users'],
      auth: true,
      write: true,
      params: UserParams,
      body: OffboardBody,
      responses: {
        200: OffboardingSchema,
        202: OffboardingSchema,
        403: 'problem',
        404: 'problem',
        409: 'problem',
      },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const userId = res.locals.params.id;
      const { successor, reason } = res.locals.body;
      await authorise(p, userId, true);
      const [next] = await db.select().from(users).where(eq(users.id, successor)).limit(1);
      if (!next || next.deactivatedAt) {
        throw badRequest('Unknown successor', [
          { path: 'body.successor', message: `unknown or inactive user ${successor}` },
        ]);
      }
      if (successor === userId) {
        throw badRequest('A person cannot succeed themselves', [
          { path: 'body.successor', message: 'must be someone else' },
        ]);
      }
      await db
        .insert(offboardings)
        .values({ userId, successorId: successor, reason, requestedBy: p.id })
        .onConflictDoNothing();
      const [row] = await db.select().from(offboardings).where(eq(offboardings.userId, userId));
      if (row.successorId !== successor) {
        throw conflict(`${userId} is already offboarded to ${row.successorId}`, { field: 'successor' });
      }
      const done = await startAndWait(deps, {
        userId,
        successorId: row.successorId,
        reason: row.reason,
        actorId: row.requestedBy,
      });
      const report = await reportOf(deps, userId);
      res.status(done && report.status === 'completed' ? 200 : 202).json(report);
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/users/:id/offboard',
      summary: 'The report of a person’s offboarding (ops, admins and their managers)',
      tags: ['users'],
      auth: true,
      params: UserParams,
      responses: { 200: OffboardingSchema, 403: 'problem', 404: 'problem' },
    },
    async (_req, res) => {
      const userId = res.locals.params.id;
      await authorise(principalOf(res), userId, false);
      res.json(await reportOf(deps, userId));
    },
  );

  return router;
};

/** Start the person's offboarding workflow (or join it) and wait a while for it; true when it finished. */
async function startAndWait(
  deps: FeatureDeps,
  args: { userId: string; successorId: string; reason: string; actorId: string },
): Promise<boolean> {
  const workflowId = workflowIdForOffboarding(args.userId);
  try {
    await deps.temporal.workflow.start(OFFBOARD_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [args],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    // Already finished: the report is in Postgres.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      deps.temporal.workflow
        .getHandle(workflowId)
        .result()
        .then(() => true)
        .catch((err) => {
          if (err instanceof WorkflowFailedError) return false;
          throw err;
        }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), WAIT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function reportOf(deps: FeatureDeps, userId: string): Promise<OffboardingDto> {
  const [row] = await deps.db.select().from(offboardings).where(eq(offboardings.userId, userId));
  if (!row) throw notFound('This person has not been offboarded');
  const items = await deps.db
    .select()
    .from(offboardingItems)
    .where(eq(offboardingItems.userId, userId))
    .orderBy(asc(offboardingItems.kind), asc(offboardingItems.itemId), asc(offboardingItems.role));
  const moved = items.filter((i) => i.outcome === 'moved');
  const role = (r: string) => r as 'AR' | 'SR' | 'FR';
  return {
    userId: row.userId,
    successorId: row.successorId,
    reason: row.reason,
    requestedBy: row.requestedBy,
    status: row.status as 'running' | 'completed',
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    tokensRevoked: row.tokensRevoked,
    delegationsEnded: row.delegationsEnded,
    moved: {
      deals: moved.filter((i) => i.kind === 'deal').map((i) => ({ id: i.itemId, role: role(i.role) })),
      accounts: moved.filter((i) => i.kind === 'account').map((i) => ({ id: i.itemId, role: role(i.role) })),
      contacts: moved.filter((i) => i.kind === 'contact').map((i) => ({ id: i.itemId })),
    },
    notMoved: items
      .filter((i) => i.outcome === 'not_moved')
      .map((i) => ({
        kind: i.kind as 'deal' | 'account' | 'contact',
        id: i.itemId,
        role: i.role || null,
        reason: i.reason ?? '',
      })),
  };
}
