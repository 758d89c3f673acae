/**
 * Reports for managers and ops: pipeline, SLA and credit. Each is limited to what the caller may
 * see (`dealScope`): ops and admin see every deal; a manager sees deals where anyone in their
 * reporting line (transitively), or they, hold a role. Members get 403.
 */
import express, { type Response } from 'express';
import { dealScope } from '../auth/access';
import { principalOf } from '../auth/authenticate';
import { isManager, isOps, type Principal } from '../auth/principal';
import type { FeatureRoutes } from '../feature';
import { badRequest, forbidden } from '../http/problem';
import {
  CreditQuery,
  CreditReportSchema,
  PeriodQuery,
  type PeriodQueryOut,
  PipelineQuery,
  PipelineReportSchema,
  SlaReportSchema,
} from './schemas';
import { createReportService, OVERDUE_LIMIT, type Period } from './service';

export const DEFAULT_PERIOD_MS = 30 * 24 * 60 * 60 * 1000;

/** `[from, to)`; `to` defaults to now and `from` to 30 days before `to`. */
export function resolvePeriod(q: Pick<PeriodQueryOut, 'from' | 'to'>, now = new Date()): Period {
  const to = q.to ?? now;
  const from = q.from ?? new Date(to.getTime() - DEFAULT_PERIOD_MS);
  if (from.getTime() >= to.getTime()) {
    throw badRequest('The period is empty', [{ path: 'query.from', message: 'from must be before to' }]);
  }
  return { from, to };
}

function reportReader(res: Response): Principal {
  const p = principalOf(res);
  if (!isOps(p) && !isManager(p)) throw forbidden('Reports are for managers and ops');
  return p;
}

const problems = { 400: 'problem', 401: 'problem', 403: 'problem' } as const;

export const reportRoutes: FeatureRoutes = (registry, deps) => {
  const router = express.Router();
  const reports = createReportService(deps.db);

  registry.route(
    router,
    {
      method: 'get',
      path: '/reports/pipeline',
      summary: 'Active deals per stage: count, total and stage-weighted value, per currency',
      description:
        'One item per process key + stage key of the active deals in scope (status `active`), ordered by ' +
        'process key and stage index, with the stage name (en/zh) of the newest process version among them. ' +
        '`values` has one entry per currency; amounts of different currencies are never added up. ' +
        '`weighted` is a simple stage-progress probability: Σ value × (stage index + 1) / (number of stages ' +
        'of the deal’s pinned process version), so a deal at the first of 4 stages counts 25% and one at the ' +
        'last stage 100%. Managers see deals where someone in their reporting line holds a role; ops see all.',
      tags: ['reports'],
      auth: true,
      query: PipelineQuery,
      responses: { 200: PipelineReportSchema, ...problems },
    },
    async (_req, res) => {
      const p = reportReader(res);
      res.json(await reports.pipeline(await dealScope(deps.db, p), res.locals.query));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/reports/sla',
      summary: 'Time in stage, SLA breaches, escalations, and the deals overdue now',
      description:
        'Period `[from, to)`, default the last 30 days. Per process key + stage: `visits` exited in the ' +
        'period, `medianMs`/`p90Ms` of their time in stage (percentile_cont; cancelled visits excluded), ' +
        '`breaches` (visits exited in the period that were escalated or exited after their due time) and ' +
        '`escalations` (`stage.escalated` events in the period). `overdue`: active deals whose current ' +
        `stage is past due now, oldest due first, with who they wait on (at most ${OVERDUE_LIMIT}; ` +
        '`overdueTotal` counts all).',
      tags: ['reports'],
      auth: true,
      query: PeriodQuery,
      responses: { 200: SlaReportSchema, ...problems },
    },
    async (_req, res) => {
      const p = reportReader(res);
      const q = res.locals.query;
      res.json(await reports.sla(await dealScope(deps.db, p), resolvePeriod(q), q));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/reports/credit',
      summary: 'Credit per user and currency for deals completed in the period',
      description:
        'Deals with status `completed` and `closedAt` in `[from, to)` (default the last 30 days). A deal’s ' +
        'value is split equally between its distinct approved stages and, within a stage, by the role ' +
        'weights, to whoever held each role during that stage: a role handed over mid-stage is split by how ' +
        'long each holder held it, so a person who left keeps what they earned before (a reassignment splits credit; ' +
        'a reworked stage counts once, its last approval). Summed per user and currency. Managers see ' +
        'only users in their reporting line (and themselves); ops see everyone. Ordered by currency, ' +
        'then credit (highest first), then user id; paged with `limit` and `cursor` like every list.',
      tags: ['reports'],
      auth: true,
      query: CreditQuery,
      responses: { 200: CreditReportSchema, ...problems },
    },
    async (_req, res) => {
      const p = reportReader(res);
      const q = res.locals.query;
      res.json(await reports.credit(await dealScope(deps.db, p), resolvePeriod(q), q));
    },
  );

  return router;
};
