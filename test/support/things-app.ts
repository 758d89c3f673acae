/**
 * A minimal app on the real HTTP plumbing for tests of authentication and rate limits:
 * `GET /things` (a read) and `POST /things` (a write) behind the registry's authentication, and a
 * public `GET /open`.
 */
import express, { type Express } from 'express';
import { z } from 'zod';
import { createHttpApp, createLogger, createRouteRegistry, type RouteRegistryOptions } from '../../api/http';

export function thingsApp(auth: RouteRegistryOptions): Express {
  const registry = createRouteRegistry(auth);
  return createHttpApp({
    logger: createLogger('silent'),
    registry,
    openapi: { title: 't', version: '1' },
    docs: false,
    routes: (app) => {
      const router = express.Router();
      const things = { auth: true, path: '/things', responses: { 200: null } } as const;
      const ok = (_req: express.Request, res: express.Response) => res.status(200).end();
      registry.route(router, { ...things, method: 'post', write: true, body: z.object({}) }, ok);
      registry.route(router, { ...things, method: 'get' }, ok);
      registry.route(router, { method: 'get', path: '/open', responses: { 200: null } }, ok);
      app.use(router);
    },
  });
}
