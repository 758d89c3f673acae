/**
 * Composition of the HTTP infrastructure in the one order that works:
 * request id/logging → metrics → /metrics, /openapi.json, /docs → JSON body → feature routers →
 * 404 → central error handler.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { requestTracing } from '../../telemetry/http';
import { type DocsOptions, docsPage, docsRouter } from './docs';
import { errorHandler, notFoundHandler } from './error-handler';
import { requestLogger } from './logger';
import type { Metrics } from './metrics';
import { type OpenApiInfo, openApiHandler } from './openapi';
import type { RouteRegistry } from './route';

export interface HttpAppOptions {
  logger: Logger;
  registry: RouteRegistry;
  openapi: OpenApiInfo;
  /** Mounts feature routers (registered through `registry`). */
  routes: (app: Express) => void;
  /** Serves `GET /metrics` and observes request latency when given. */
  metrics?: Metrics;
  /** Run before the `GET /metrics` handler, e.g. authentication and a role check. Default: none (public). */
  metricsGuard?: RequestHandler[];
  /** `false` disables `GET /docs`. */
  docs?: DocsOptions | false;
  /** JSON body size limit (body-parser syntax). Default `1mb`. */
  jsonLimit?: string | number;
  /** Express `trust proxy` setting (affects `req.ip`, used by IP-keyed rate limits). */
  trustProxy?: boolean | number | string;
}

/** JSON body parser accepting `application/json` and `application/*+json`. */
export function jsonBody(limit: string | number = '1mb') {
  return express.json({ limit, type: ['application/json', 'application/*+json'] });
}

/** `/openapi.json` and `/docs`, declared in the registry so the document lists them (public). */
function documentationRoutes(options: HttpAppOptions): express.Router {
  const router = express.Router();
  const tags = ['operability'];
  options.registry.route(
    router,
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      tags,
      responses: {
        200: { description: 'The OpenAPI document', schema: z.looseObject({ openapi: z.literal('3.1.0') }) },
      },
    },
    openApiHandler(options.registry, options.openapi),
  );
  if (options.docs !== false) {
    options.registry.route(
      router,
      {
        method: 'get',
        path: '/docs',
        summary: 'Interactive API documentation (Swagger UI)',
        tags,
        responses: { 200: { description: 'An HTML page', contentType: 'text/html', schema: z.string() } },
      },
      docsPage(options.docs ?? {}),
    );
  }
  return router;
}

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);

  app.use(requestLogger(options.logger));
  app.use(requestTracing());
  if (options.metrics) {
    app.use(options.metrics.middleware());
    app.get('/metrics', ...(options.metricsGuard ?? []), options.metrics.handler());
  }
  app.use(documentationRoutes(options));
  if (options.docs !== false) app.use(docsRouter(options.docs ?? {}));
  app.use(jsonBody(options.jsonLimit));

  options.routes(app);

  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
