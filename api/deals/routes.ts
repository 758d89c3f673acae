/**
 * Deal endpoints: create, list, detail, timeline, sign-off and the manager/ops commands.
 * Authorisation is checked here on every request, per deal and per role.
 */

import { inArray } from 'drizzle-orm';
import express, { type Router } from 'express';
import type { z } from 'zod';
import type { Db } from '../../db/client';
import { users } from '../../db/schema';
import { actingFor, canManage, dealScope, managerAuthority, scopeCovers } from '../auth/access';
import { principalOf } from '../auth/authenticate';
import { isManager, isOps } from '../auth/principal';
import type { Metrics } from '../http/metrics';
import { pageSchema, paginationQuery } from '../http/pagination';
import { badRequest, forbidden } from '../http/problem';
import type { RouteRegistry } from '../http/route';
import {
  AmendBody,
  CancelBody,
  CreateDealBody,
  DealEventSchema,
  DealIdParams,
  DealSchema,
  HoldBody,
  ListDealsQuery,
  ReassignBody,
  ResumeBody,
  SignoffBody,
} from './schemas';
import type { CommandBody, CommandKind, DealService } from './service';

const IdempotencyHeader = 'idempotency-key';

function idempotencyKey(req: express.Request): string | undefined {
  const v = req.headers[IdempotencyHeader];
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v[0] : v;
  if (!s || s.length > 200 || !/^[\x21-\x7e]+$/.test(s)) {
    throw badRequest('Invalid Idempotency-Key header', [
      { path: 'headers.idempotency-key', message: 'must be 1-200 visible ASCII characters' },
    ]);
  }
  return s;
}

export function dealRoutes(
  registry: RouteRegistry,
  deps: { db: Db; deals: DealService; metrics?: Metrics },
): Router {
  const { db, deals: service } = deps;
  const router = express.Router();
  const r = registry.withPrefix('/deals');
  const problems = {
    400: 'problem',
    401: 'problem',
    403: 'problem',
    404: 'problem',
    409: 'problem',
  } as const;

  r.route(
    router,
    {
      method: 'post',
      path: '/',
      summary: 'Create a deal (managers, ops, and members who put themselves as AR)',
      description:
        'Runs on the latest version of the process; only ops may name an older one (403 `body.process.version`). ' +
        '400 `body.triangle.<role>` when one person holds two roles the process keeps apart (by default AR, SR ' +
        'and FR are three people); 400 `body.value.currency` when the process has no value threshold in that ' +
        'currency. With the same Idempotency-Key a retry answers the deal created first, or 404 when the caller ' +
        'can no longer see it.',
      tags: ['deals'],
      auth: true,
      write: true,
      body: CreateDealBody,
      responses: { 201: DealSchema, ...problems },
    },
    async (req, res) => {
      const p = principalOf(res);
      const body = res.locals.body;
      if (!isOps(p) && !isManager(p) && body.triangle.AR !== p.id) {
        throw forbidden('Members may create deals only with themselves as AR');
      }
      const { deal, replayed } = await service.create(body, p.id, idempotencyKey(req), {
        mayNameOlderVersion: isOps(p),
        canSee: async (row) => scopeCovers(await dealScope(db, p), row),
      });
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      res.status(201).json(deal);
    },
  );

  r.route(
    router,
    {
      method: 'get',
      path: '/',
      summary: 'List the deals the caller may see (from the Postgres projection)',
      tags: ['deals'],
      auth: true,
      query: ListDealsQuery,
      responses: { 200: pageSchema(DealSchema), ...problems },
    },
    async (_req, res) => {
      const scope = await dealScope(db, principalOf(res));
      res.json(await service.list(scope, res.locals.query));
    },
  );

  r.route(
    router,
    {
      method: 'get',
      path: '/:id',
      summary: 'One deal: stage, required sign-offs, who it waits on',
      tags: ['deals'],
      auth: true,
      params: DealIdParams,
      responses: { 200: DealSchema, ...problems },
    },
    async (_req, res) => {
      const scope = await dealScope(db, principalOf(res));
      res.json(await service.get(res.locals.params.id, scope));
    },
  );

  r.route(
    router,
    {
      method: 'get',
      path: '/:id/timeline',
      summary: 'The deal timeline in ascending seq',
      tags: ['deals'],
      auth: true,
      params: DealIdParams,
      query: paginationQuery,
      responses: { 200: pageSchema(DealEventSchema), ...problems },
    },
    async (_req, res) => {
      const scope = await dealScope(db, principalOf(res));
      res.json(await service.timeline(res.locals.params.id, scope, res.locals.query));
    },
  );

  r.route(
    router,
    {
      method: 'post',
      path: '/:id/signoffs',
      summary: 'Approve or reject the current stage for one of your roles',
      description:
        'Answers after the workflow has applied the sign-off. 403 when you hold no role the stage still needs; ' +
        '409 for a stale stage, a role already decided or a deal not active. The Idempotency-Key header makes a retry safe.',
      tags: ['deals'],
      auth: true,
      write: true,
      params: DealIdParams,
      body: SignoffBody,
      responses: { 200: DealSchema, ...problems },
    },
    async (req, res) => {
      const p = principalOf(res);
      const acting = await actingFor(db, p);
      const row = await service.visibleRow(res.locals.params.id, await dealScope(db, p, acting));
      const { deal, result } = await service.signoff(
        row,
        res.locals.body,
        { id: p.id, actingFor: acting },
        idempotencyKey(req),
      );
      deps.metrics?.signoffs.inc({ decision: result.decision });
      res.json(deal);
    },
  );

  const command = <K extends CommandKind>(
    path: string,
    kind: K,
    body: z.ZodType<CommandBody[K] | undefined>,
    summary: string,
    method: 'post' | 'patch' = 'post',
  ) =>
    r.route(
      router,
      {
        method,
        path,
        summary,
        tags: ['deals'],
        auth: true,
        write: true,
        params: DealIdParams,
        body,
        responses: { 200: DealSchema, ...problems },
      },
      async (req, res) => {
        const p = principalOf(res);
        const scope = await dealScope(db, p);
        const row = await service.visibleRow(res.locals.params.id, scope);
        const authority = await managerAuthority(db, p);
        if (!canManage(authority, row)) {
          throw forbidden('Only the deal’s managers and ops may do this');
        }
        const args = (res.locals.body ?? {}) as CommandBody[K];
        if ('userId' in args) {
          const found = await db
            .select({ id: users.id })
            .from(users)
            .where(inArray(users.id, [args.userId]));
          if (!found[0])
            throw badRequest('Unknown user', [
              { path: 'body.userId', message: `unknown user ${args.userId}` },
            ]);
        }
        // An amend may remove a pending approver only where the caller stands above them.
        const mayRemove = authority.all ? ('any' as const) : authority.line;
        res.json(await service.command(row, kind, { ...args, mayRemove }, p.id, idempotencyKey(req)));
      },
    );

  command('/:id/reassign', 'reassign', ReassignBody, 'Give a triangle role to another user');
  command('/:id/hold', 'hold', HoldBody, 'Put the deal on hold (pauses the SLA clock)');
  command('/:id/resume', 'resume', ResumeBody, 'Resume a held deal with the time that was left');
  command('/:id/cancel', 'cancel', CancelBody, 'Cancel the deal');
  command('/:id', 'amend', AmendBody, 'Amend the deal value (re-evaluates conditional approvers)', 'patch');

  return router;
}
