/**
 * Route registry: one declaration per endpoint registers validation + handlers on an express router
 * AND records the zod schemas from which `buildOpenApiDocument` (openapi.ts) generates the spec.
 *
 *   const registry = createRouteRegistry({ authenticate: auth.read, authenticateWrite: auth.write });
 *   const deals = registry.withPrefix('/deals');          // documented mount path
 *   const router = express.Router();
 *   deals.route(router, {
 *     method: 'post', path: '/:id/signoffs', summary: 'Record a sign-off', tags: ['deals'],
 *     auth: true, write: true,
 *     params: z.object({ id: z.string() }), body: SignoffBody,
 *     responses: { 200: DealSchema, 404: 'problem', 409: 'problem' },
 *   }, async (req, res) => {
 *     const { id } = res.locals.params;                   // typed from the zod schemas
 *     res.json(await recordSignoff(id, res.locals.body));
 *   });
 *   app.use('/deals', router);
 */
import type { IRouter, NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { unsupportedMediaType } from './problem';
import { type ValidatedLocals, validate } from './validate';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * A documented response:
 * - a zod schema → `application/json` body generated from it (output side);
 * - `'problem'` → `application/problem+json` with the shared `Problem` component;
 * - `null` → no body (e.g. 204);
 * - an object for a custom description / content type.
 */
export type ResponseSpec =
  | z.ZodType
  | 'problem'
  | null
  | {
      description?: string;
      schema?: z.ZodType | 'problem' | null;
      /** Default `application/json` (or `application/problem+json` for `'problem'`). */
      contentType?: string;
      headers?: Record<string, { description?: string; schema: z.ZodType }>;
    };

export interface RouteSpec<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
> {
  method: HttpMethod;
  /** Express path relative to the router, `:name` params only (e.g. `/deals/:id/signoffs`). */
  path: string;
  summary?: string;
  description?: string;
  /** Defaults to a camelCase id derived from method + path. Must be unique. */
  operationId?: string;
  tags?: string[];
  deprecated?: boolean;
  /** Requires a bearer token: runs the registry's `authenticate` middleware and documents `bearerAuth` and 429. */
  auth?: boolean;
  /** A write endpoint: authenticated by `authenticateWrite` instead (the write rate limit) and documents 429. */
  write?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Request body media types for the document (default `['application/json']`). When set, the
   * runtime JSON content-type check is skipped: the route brings its own body parser (e.g. YAML).
   */
  bodyContentTypes?: string[];
  /** Status code → response. At least one 2xx/3xx. Common problems (400/401/429/500) are added. */
  responses: Record<number, ResponseSpec>;
}

/** A handler whose `res.locals.params|query|body` are typed from the route's zod schemas. */
export type RouteHandler<P = undefined, Q = undefined, B = undefined> = (
  req: Request,
  res: Response<unknown, ValidatedLocals<P, Q, B>>,
  next: NextFunction,
) => unknown;

export type AnyRouteSpec = RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;

export interface RegisteredRoute {
  method: HttpMethod;
  /** Full express path including the registry prefix, e.g. `/deals/:id/signoffs`. */
  path: string;
  operationId: string;
  spec: AnyRouteSpec;
}

export interface RouteRegistryOptions {
  /** Runs first on `auth: true` routes; should answer 401 (throw `unauthorized()`) when needed. */
  authenticate?: RequestHandler;
  /**
   * Runs instead of `authenticate` on `auth: true, write: true` routes (e.g. to draw on the write
   * rate limit rather than the read one). Default: `authenticate`.
   */
  authenticateWrite?: RequestHandler;
}

export interface RouteRegistry {
  /** Documented mount path of this view ('' for the root registry). */
  readonly prefix: string;
  /** Registers `validate()` + handlers on `router` and records the route for OpenAPI. */
  route<
    P extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
  >(router: IRouter, spec: RouteSpec<P, Q, B>, ...handlers: RouteHandler<P, Q, B>[]): void;
  /** A view that documents routes under `prefix` (mount its routers at the same path). Shares records. */
  withPrefix(prefix: string): RouteRegistry;
  /** Sets/replaces the auth middleware; takes effect for already-registered routes too. */
  configure(options: RouteRegistryOptions): void;
  /** Every route registered through this registry or any of its views, in registration order. */
  routes(): readonly RegisteredRoute[];
}

interface SharedState {
  options: RouteRegistryOptions;
  routes: RegisteredRoute[];
  keys: Set<string>;
  operationIds: Set<string>;
}

const PATH_PARAM = /:([A-Za-z_$][A-Za-z0-9_$]*)/g;
const ALLOWED_PATH = /^(\/(?:[A-Za-z0-9._~-]+|:[A-Za-z_$][A-Za-z0-9_$]*)?)+$/;

/** Names of the `:params` of an express path. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(PATH_PARAM)].map((m) => m[1]);
}

/** `/deals/:id/signoffs` → `/deals/{id}/signoffs`. */
export function toOpenApiPath(path: string): string {
  return path.replace(PATH_PARAM, '{$1}');
}

export function joinPaths(prefix: string, path: string): string {
  const p = prefix.replace(/\/+$/, '');
  if (path === '/' || path === '') return p === '' ? '/' : p;
  return p + path;
}

function normalizePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  if (!prefix.startsWith('/')) throw new Error(`route prefix must start with '/': ${prefix}`);
  return prefix.replace(/\/+$/, '');
}

function defaultOperationId(method: HttpMethod, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith(':') ? `by ${seg.slice(1)}` : seg))
    .join(' ')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** Object keys of a zod object schema, or undefined when the schema is not a plain object. */
function objectKeys(schema: z.ZodType): string[] | undefined {
  const def = (schema as unknown as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } })
    ._zod?.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

function validateSpec(spec: AnyRouteSpec, fullPath: string): void {
  if (!HTTP_METHODS.includes(spec.method)) throw new Error(`unsupported method '${spec.method}'`);
  if (!ALLOWED_PATH.test(spec.path)) {
    throw new Error(
      `route path '${spec.path}' must be '/'-separated literal segments or ':name' params ` +
        `(no wildcards, optional groups or regexes: they cannot be described in OpenAPI)`,
    );
  }
  const names = pathParamNames(fullPath);
  if (new Set(names).size !== names.length) throw new Error(`duplicate path parameter in '${fullPath}'`);
  if (spec.params) {
    const keys = objectKeys(spec.params);
    if (keys) {
      const missing = names.filter((n) => !keys.includes(n));
      const extra = keys.filter((k) => !names.includes(k));
      if (missing.length || extra.length) {
        throw new Error(
          `params schema of ${spec.method.toUpperCase()} ${fullPath} does not match the path ` +
            `(missing: [${missing.join(', ')}], not in path: [${extra.join(', ')}])`,
        );
      }
    }
  }
  const statuses = Object.keys(spec.responses).map(Number);
  if (statuses.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
    throw new Error(`invalid response status in ${spec.method.toUpperCase()} ${fullPath}`);
  }
  if (!statuses.some((s) => s >= 200 && s < 400)) {
    throw new Error(`${spec.method.toUpperCase()} ${fullPath} documents no 2xx/3xx response`);
  }
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** 415 when a JSON route receives a body of another media type (bodiless requests pass). */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const empty = req.headers['content-length'] === '0' && req.headers['transfer-encoding'] === undefined;
  if (!empty && req.is(JSON_TYPES) === false) {
    throw unsupportedMediaType('The request body must be application/json', ['application/json']);
  }
  next();
};

function makeRegistry(shared: SharedState, prefix: string): RouteRegistry {
  const authStep: RequestHandler = (req, res, next) => {
    const authenticate = shared.options.authenticate;
    return authenticate ? authenticate(req, res, next) : next();
  };
  const writeAuthStep: RequestHandler = (req, res, next) => {
    const authenticate = shared.options.authenticateWrite ?? shared.options.authenticate;
    return authenticate ? authenticate(req, res, next) : next();
  };

  return {
    prefix,
    route(router, spec, ...handlers) {
      const anySpec = spec as AnyRouteSpec;
      const fullPath = joinPaths(prefix, spec.path);
      validateSpec(anySpec, fullPath);
      // `/a/:id` and `/a/:x` are the same OpenAPI path template.
      const key = `${spec.method} ${fullPath.replace(PATH_PARAM, '{}')}`;
      if (shared.keys.has(key))
        throw new Error(`route already registered: ${spec.method.toUpperCase()} ${fullPath}`);
      const operationId = spec.operationId ?? defaultOperationId(spec.method, fullPath);
      if (shared.operationIds.has(operationId)) throw new Error(`duplicate operationId '${operationId}'`);
      if (handlers.length === 0) throw new Error(`${spec.method.toUpperCase()} ${fullPath} has no handler`);

      const chain: RequestHandler[] = [];
      if (spec.auth) chain.push(spec.write ? writeAuthStep : authStep);
      if (spec.body && !spec.bodyContentTypes) chain.push(requireJsonBody);
      if (spec.params || spec.query || spec.body) {
        chain.push(validate({ params: spec.params, query: spec.query, body: spec.body }));
      }
      chain.push(...(handlers as unknown as RequestHandler[]));
      router[spec.method](spec.path, ...chain);

      shared.keys.add(key);
      shared.operationIds.add(operationId);
      shared.routes.push({ method: spec.method, path: fullPath, operationId, spec: anySpec });
    },
    withPrefix(sub) {
      return makeRegistry(shared, normalizePrefix(joinPaths(prefix, normalizePrefix(sub) || '/')));
    },
    configure(options) {
      shared.options = { ...shared.options, ...options };
    },
    routes() {
      return shared.routes;
    },
  };
}

export function createRouteRegistry(options: RouteRegistryOptions = {}): RouteRegistry {
  return makeRegistry({ options: { ...options }, routes: [], keys: new Set(), operationIds: new Set() }, '');
}

/** `{ method, path }` (express syntax, full path) of every registered route. */
export function listRegisteredRoutes(registry: RouteRegistry): { method: HttpMethod; path: string }[] {
  return registry.routes().map(({ method, path }) => ({ method, path }));
}
