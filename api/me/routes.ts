/**
 * `/me/…`: what the caller has to do.
 */
import express from 'express';
import { principalOf } from '../auth/authenticate';
import { TaskSchema } from '../deals/schemas';
import type { FeatureRoutes } from '../feature';
import { pageSchema, paginationQuery } from '../http/pagination';
import { listTasks } from './tasks';

export const meRoutes: FeatureRoutes = (registry, deps) => {
  const router = express.Router();

  registry.route(
    router,
    {
      method: 'get',
      path: '/me/tasks',
      summary: 'The sign-offs waiting on the caller, as holder or as active delegate, soonest due first',
      description:
        'Read from the deals projection. A delegated task carries `onBehalfOfId`, the holder of the role. ' +
        '`stage` is the stage key, `stageName` its name from the deal’s process version.',
      tags: ['me'],
      auth: true,
      query: paginationQuery,
      responses: { 200: pageSchema(TaskSchema) },
    },
    async (_req, res) => {
      res.json(await listTasks(deps.db, principalOf(res), res.locals.query));
    },
  );

  return router;
};
