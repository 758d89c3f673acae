/**
 * Prometheus metrics on a per-app Registry (never prom-client's global one, so several apps/tests
 * can coexist). HTTP latency is labelled with the route PATTERN (`/deals/:id`), never the raw URL.
 */
import type { Request, RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface CreateMetricsOptions {
  /** Collect process/runtime default metrics into the registry. Default true. */
  defaultMetrics?: boolean;
  /** Prefix for the business counters (`<prefix>signoffs_total`, `<prefix>escalations_total`). Default `ltc_`. */
  prefix?: string;
  /**
   * Escalations happen in the worker, not in the API process: when given, the escalation counter is
   * read from this source (e.g. the timeline in Postgres) at each scrape.
   */
  escalationSource?: () => Promise<Record<string, number>>;
  /** Deals whose writes Postgres refuses right now (counted at scrape time; see `deal_faults`). */
  dealFaultSource?: () => Promise<number>;
  /** Histogram buckets in seconds. */
  buckets?: number[];
}

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Sign-offs received, by decision (e.g. `approved`, `rejected`). */
  signoffs: Counter<'decision'>;
  /** Escalations raised, by level (e.g. `1`, `2`, `vp`). */
  escalations: Counter<'level'>;
  /** Observes every request's latency; mount early (after the request logger). */
  middleware(): RequestHandler;
  /** `GET /metrics` handler (Prometheus text format). */
  handler(): RequestHandler;
}

/** Label for requests that matched no route (404s, static assets outside a mount). */
export const UNMATCHED_ROUTE = 'unmatched';

const routePatternKey = Symbol('ltc.routePattern');
type Tracked = Request & { [routePatternKey]?: string };

function joinPattern(baseUrl: string, path: unknown): string {
  const p = Array.isArray(path) ? path.map(String).join('|') : String(path);
  if (baseUrl === '') return p || '/';
  if (p === '/' || p === '') return baseUrl;
  return baseUrl + p;
}

/**
 * Records the full pattern of the route that handles the request. Express's router sets `req.route`
 * while `req.baseUrl` still holds the complete mount path; by the time the response finishes, an
 * error may have unwound `baseUrl`, so the pattern is captured at assignment time.
 */
function trackRoute(req: Request): void {
  let current: unknown = (req as { route?: unknown }).route;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (value: unknown) => {
      current = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (path !== undefined) (req as Tracked)[routePatternKey] = joinPattern(req.baseUrl ?? '', path);
    },
  });
}

/** The route pattern of a finished request, e.g. `/items/:id`. */
export function routeLabel(req: Request): string {
  const captured = (req as Tracked)[routePatternKey];
  if (captured) return captured;
  // Answered by mounted middleware (e.g. express.static under /docs/assets) without a route.
  if (req.baseUrl) return req.baseUrl + '/*';
  return UNMATCHED_ROUTE;
}

export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const prefix = options.prefix ?? 'ltc_';
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: options.buckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const signoffs = new Counter({
    name: `${prefix}signoffs_total`,
    help: 'Sign-offs received, by decision',
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  const source = options.escalationSource;
  const escalations = new Counter({
    name: `${prefix}escalations_total`,
    help: 'Escalations raised, by level',
    labelNames: ['level'] as const,
    registers: [registry],
    ...(source
      ? {
          async collect(this: Counter<'level'>) {
            const counts = await source();
            this.reset();
            for (const [level, n] of Object.entries(counts)) this.inc({ level }, n);
          },
        }
      : {}),
  });

  const faults = options.dealFaultSource;
  if (faults) {
    new Gauge({
      name: `${prefix}deal_write_faults`,
      help: 'Deals whose writes Postgres refuses or misses right now (kept and retried by their workflow)',
      registers: [registry],
      async collect(this: Gauge) {
        this.set(await faults());
      },
    });
  }

  const middleware = (): RequestHandler => (req, res, next) => {
    const stop = httpDuration.startTimer();
    trackRoute(req);
    let done = false;
    const observe = (): void => {
      if (done) return;
      done = true;
      // 499 (nginx convention) when the client went away before the response completed.
      const status = res.writableFinished || res.headersSent ? String(res.statusCode) : '499';
      stop({ method: req.method, route: routeLabel(req), status });
    };
    res.once('finish', observe);
    res.once('close', observe);
    next();
  };

  const handler = (): RequestHandler => async (_req, res) => {
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  };

  return { registry, httpDuration, signoffs, escalations, middleware, handler };
}
