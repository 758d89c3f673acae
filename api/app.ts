/**
 * The API application: one express app composed from feature routers. Every dependency is passed
 * in, so tests build the same app against the real Temporal and Postgres.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import type { WebhookTargetPolicy } from '../notifications/webhook-target';
import { accountRoutes } from './accounts/routes';
import { createAccountService } from './accounts/service';
import { authenticate, principalOf } from './auth/authenticate';
import { isOps } from './auth/principal';
import { attachmentRoutes } from './deals/attachments';
import { dealRoutes } from './deals/routes';
import { createDealService } from './deals/service';
import type { FeatureDeps } from './feature';
import { healthRoutes } from './health/routes';
import { createHttpApp } from './http/app';
import { createMetrics, type Metrics } from './http/metrics';
import { forbidden } from './http/problem';
import { createRouteRegistry, type RouteRegistry } from './http/route';
import { webAppRouter } from './http/web-app';
import { meRoutes } from './me/routes';
import { notificationRoutes } from './notifications/routes';
import { processDefinitionRoutes } from './process-definitions/routes';
import { reportRoutes } from './reports/routes';
import { offboardRoutes } from './users/offboard';
import { userRoutes } from './users/routes';

export interface AppDeps {
  db: Db;
  temporal: Client;
  logger: Logger;
  taskQueue: string;
  namespace: string;
  temporalUiUrl?: string;
  publicUrl: string;
  /** Write requests per user per minute (default 600). */
  rateLimitPerMinute?: number;
  /** Read requests per user per minute (default 3000). */
  rateLimitReadsPerMinute?: number;
  /** Failed authentications per client address per minute (default 30). */
  rateLimitFailedAuthPerMinute?: number;
  /** Express `trust proxy`: which proxies' X-Forwarded-For names the client address. Default: none. */
  trustProxy?: boolean | number | string;
  metrics?: Metrics;
  /** Which hosts webhooks may point at (WEBHOOK_ALLOW_HOSTS); default: public addresses only. */
  webhookPolicy?: WebhookTargetPolicy;
  /** The built web app (web/dist), served under `/app/`; `GET /` redirects there. */
  webDir?: string;
}

export interface App {
  app: Express;
  registry: RouteRegistry;
  metrics: Metrics;
}

/** The OpenAPI document's info (`/openapi.json`; also used to generate the web app's types). */
export const API_INFO = {
  title: 'Iron Triangle LTC API',
  version: '1.0.0',
  description: 'Large-account deals run as durable Lead-to-Cash workflows, signed off by the Iron Triangle.',
};

/** After `authenticate`: only ops and admin pass. */
const opsOnly: RequestHandler = (_req, res, next) => {
  if (!isOps(principalOf(res))) throw forbidden('Metrics are for ops and admin');
  next();
};

export function createApp(deps: AppDeps): App {
  const metrics =
    deps.metrics ??
    createMetrics({
      // Escalations are recorded by the worker; count them from the timeline at scrape time.
      escalationSource: async () => {
        const rows = await deps.db.execute<{ level: string; n: number }>(sql`
          SELECT data->>'level' AS level, count(*)::int AS n FROM deal_events
          WHERE type = 'stage.escalated' GROUP BY 1`);
        return Object.fromEntries(rows.map((r) => [r.level, r.n]));
      },
      dealFaultSource: async () => {
        const [row] = await deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM deal_faults`);
        return row?.n ?? 0;
      },
    });
  const auth = authenticate(deps.db, {
    limits: {
      writesPerMinute: deps.rateLimitPerMinute,
      readsPerMinute: deps.rateLimitReadsPerMinute,
      failedAuthPerMinute: deps.rateLimitFailedAuthPerMinute,
    },
    onSweepError: (err) => deps.logger.warn({ err }, 'sweeping idle rate-limit buckets failed'),
  });
  const registry = createRouteRegistry({ authenticate: auth.read, authenticateWrite: auth.write });
  const deals = createDealService({
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    namespace: deps.namespace,
    temporalUiUrl: deps.temporalUiUrl,
    accounts: createAccountService(deps.db),
  });
  const feature: FeatureDeps = {
    db: deps.db,
    temporal: deps.temporal,
    deals,
    metrics,
    logger: deps.logger,
    publicUrl: deps.publicUrl,
    taskQueue: deps.taskQueue,
    namespace: deps.namespace,
    webhookPolicy: deps.webhookPolicy,
  };
  const app = createHttpApp({
    logger: deps.logger,
    registry,
    metrics,
    // Not public: the spec makes only /healthz, /readyz, /openapi.json and /docs public.
    metricsGuard: [auth.read, opsOnly],
    trustProxy: deps.trustProxy,
    openapi: {
      ...API_INFO,
      servers: [{ url: deps.publicUrl.replace(/\/+$/, ''), description: 'This deployment (PUBLIC_URL)' }],
    },
    routes: (a) => {
      if (deps.webDir) a.use(webAppRouter(deps.webDir));
      a.use(healthRoutes(registry, deps));
      a.use('/deals', dealRoutes(registry, { db: deps.db, deals, metrics }));
      a.use(userRoutes(registry, feature));
      a.use(meRoutes(registry, feature));
      a.use(processDefinitionRoutes(registry, feature));
      a.use(reportRoutes(registry, feature));
      a.use(notificationRoutes(registry, feature));
      a.use(accountRoutes(registry, feature));
      a.use(attachmentRoutes(registry, feature));
      a.use(offboardRoutes(registry, feature));
    },
  });
  return { app, registry, metrics };
}
