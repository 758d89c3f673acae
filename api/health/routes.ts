import type { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import type { RouteRegistry } from '../http/route';

const Health = z.object({ status: z.literal('ok') });
const Ready = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: z.enum(['ok', 'failing']), temporal: z.enum(['ok', 'failing']) }),
  failing: z.array(z.string()),
});

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process answers. `/readyz`: 200 only while Postgres and Temporal both answer. */
export function healthRoutes(registry: RouteRegistry, deps: { db: Db; temporal: Client }): Router {
  const router = express.Router();
  registry.route(
    router,
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness',
      tags: ['operability'],
      responses: { 200: Health },
    },
    (_req, res) => {
      res.json({ status: 'ok' });
    },
  );
  registry.route(
    router,
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: Postgres and Temporal both answer',
      tags: ['operability'],
      responses: { 200: Ready, 503: Ready },
    },
    async (_req, res) => {
      const [pg, tp] = await Promise.allSettled([
        within(2000, deps.db.execute(sql`select 1`)),
        within(
          2000,
          (deps.temporal.connection as Connection).withDeadline(Date.now() + 2000, () =>
            (deps.temporal.connection as Connection).healthService.check({}),
          ),
        ),
      ]);
      const checks = {
        postgres: pg.status === 'fulfilled' ? 'ok' : 'failing',
        temporal: tp.status === 'fulfilled' && tp.value.status === 1 ? 'ok' : 'failing',
      } as const;
      const failing = Object.entries(checks)
        .filter(([, v]) => v === 'failing')
        .map(([k]) => k);
      res
        .status(failing.length ? 503 : 200)
        .json({ status: failing.length ? 'unavailable' : 'ready', checks, failing });
    },
  );
  return router;
}
