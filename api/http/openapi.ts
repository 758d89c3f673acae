/**
 * OpenAPI 3.1 generated from the route registry's zod schemas (zod 4's native JSON Schema output,
 * draft 2020-12, which is OpenAPI 3.1's dialect). Request parts use the schemas' input side,
 * responses their output side. Schemas carrying `.meta({ id })` become `components.schemas`
 * entries; when the input and output sides differ, the input one is named `<id>Input`.
 */
import { STATUS_CODES } from 'node:http';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem';
import {
  pathParamNames,
  type RegisteredRoute,
  type ResponseSpec,
  type RouteRegistry,
  toOpenApiPath,
} from './route';

export type JsonSchema = { [key: string]: unknown };

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string; description?: string }[];
  /** Descriptions for tags used by routes. */
  tags?: { name: string; description?: string }[];
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  deprecated?: boolean;
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description?: string; schema: JsonSchema }>;
  content?: Record<string, { schema: JsonSchema }>;
}

export interface OpenApiOperation {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  deprecated?: boolean;
  security?: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<RegisteredRoute['method'], OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

type Io = 'input' | 'output';

const COMPONENT_PREFIX = '#/components/schemas/';

/** JSON stringify with sorted keys, for structural equality of generated schemas. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as JsonSchema).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function sanitizeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return cleaned === '' ? 'Schema' : cleaned;
}

function mapRefs(value: unknown, fn: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapRefs(v, fn));
  if (value && typeof value === 'object') {
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(value as JsonSchema)) {
      out[k] = k === '$ref' && typeof v === 'string' ? fn(v) : mapRefs(v, fn);
    }
    return out;
  }
  return value;
}

function hasRootRef(value: unknown): boolean {
  let found = false;
  mapRefs(value, (ref) => {
    if (ref === '#' || (ref.startsWith('#/') && !ref.startsWith(COMPONENT_PREFIX))) found = true;
    return ref;
  });
  return found;
}

/** JSON bodies carry dates as ISO strings. */
function override(ctx: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  if (ctx.zodSchema._zod.def.type === 'date') {
    ctx.jsonSchema.type = 'string';
    ctx.jsonSchema.format = 'date-time';
  }
}

/** Converts zod schemas and collects the shared component schemas, deduplicated by content. */
class SchemaStore {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly cache = new Map<z.ZodType, Partial<Record<Io, JsonSchema>>>();

  convert(schema: z.ZodType, io: Io, hint: string): JsonSchema {
    const cached = this.cache.get(schema)?.[io];
    if (cached) return cached;
    const result = this.convertUncached(schema, io, hint);
    this.cache.set(schema, { ...this.cache.get(schema), [io]: result });
    return result;
  }

  /** Follows a `#/components/schemas/X` reference. */
  deref(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref;
    if (typeof ref === 'string' && ref.startsWith(COMPONENT_PREFIX)) {
      const target = this.schemas[ref.slice(COMPONENT_PREFIX.length)];
      if (target) return this.deref(target);
    }
    return schema;
  }

  private convertUncached(schema: z.ZodType, io: Io, hint: string): JsonSchema {
    const raw = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      override,
    }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = raw;
    const defs = ($defs ?? {}) as Record<string, JsonSchema>;
    const names = Object.keys(defs);

    // Give every $def a component name: its own when free or identical, else <name>Input/Output, <name>2…
    const attempt = new Map(names.map((n) => [n, 0]));
    const nameOf = (n: string): string => {
      const base = sanitizeName(n);
      const i = attempt.get(n) ?? 0;
      if (i === 0) return base;
      if (i === 1) return base + (io === 'input' ? 'Input' : 'Output');
      return base + i;
    };
    const rewrite = (value: unknown): unknown =>
      mapRefs(value, (ref) =>
        ref.startsWith('#/$defs/') ? COMPONENT_PREFIX + nameOf(ref.slice('#/$defs/'.length)) : ref,
      );
    for (let changed = true; changed; ) {
      changed = false;
      const taken = new Set<string>();
      for (const n of names) {
        const target = nameOf(n);
        const existing = this.schemas[target];
        if (taken.has(target) || (existing && stable(existing) !== stable(rewrite(defs[n])))) {
          attempt.set(n, (attempt.get(n) ?? 0) + 1);
          changed = true;
          break;
        }
        taken.add(target);
      }
    }
    for (const n of names) this.schemas[nameOf(n)] ??= rewrite(defs[n]) as JsonSchema;

    const rewritten = rewrite(root) as JsonSchema;
    if (!hasRootRef(rewritten)) return rewritten;

    // Self-recursive root (`$ref: '#'`): it must become a component to be referenceable.
    const base = sanitizeName(hint);
    let name = base;
    for (let i = 2; ; i++) {
      const hoisted = mapRefs(rewritten, (ref) =>
        ref === '#'
          ? COMPONENT_PREFIX + name
          : ref.startsWith('#/') && !ref.startsWith(COMPONENT_PREFIX)
            ? COMPONENT_PREFIX + name + ref.slice(1)
            : ref,
      ) as JsonSchema;
      const existing = this.schemas[name];
      if (!existing || stable(existing) === stable(hoisted)) {
        this.schemas[name] = hoisted;
        return { $ref: COMPONENT_PREFIX + name };
      }
      name = base + i;
    }
  }
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function problemResponse(status: number, store: SchemaStore, description?: string): OpenApiResponse {
  return {
    description: description ?? STATUS_CODES[status] ?? 'Problem',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: store.convert(ProblemSchema, 'output', 'Problem') } },
  };
}

function isZodSchema(value: unknown): value is z.ZodType {
  return value instanceof z.core.$ZodType || (typeof value === 'object' && value !== null && '_zod' in value);
}

function buildResponse(
  status: number,
  spec: ResponseSpec,
  store: SchemaStore,
  hint: string,
): OpenApiResponse {
  const phrase = STATUS_CODES[status] ?? `Status ${status}`;
  if (spec === 'problem') return problemResponse(status, store);
  if (spec === null) return { description: phrase };
  if (isZodSchema(spec)) {
    return {
      description: phrase,
      content: { 'application/json': { schema: store.convert(spec, 'output', hint) } },
    };
  }
  const description = spec.description ?? phrase;
  let response: OpenApiResponse;
  if (spec.schema === 'problem') {
    response = problemResponse(status, store, description);
    if (spec.contentType) response.content = { [spec.contentType]: response.content![PROBLEM_CONTENT_TYPE] };
  } else if (spec.schema) {
    const schema = store.convert(spec.schema, 'output', hint);
    response = { description, content: { [spec.contentType ?? 'application/json']: { schema } } };
  } else {
    response = { description };
  }
  if (spec.headers) {
    response.headers = Object.fromEntries(
      Object.entries(spec.headers).map(([name, h]) => [
        name,
        { description: h.description, schema: store.convert(h.schema, 'output', `${hint}${name}`) },
      ]),
    );
  }
  return response;
}

function buildParameters(
  schema: z.ZodType | undefined,
  location: 'path' | 'query',
  store: SchemaStore,
  hint: string,
): OpenApiParameter[] {
  if (!schema) return [];
  const object = store.deref(store.convert(schema, 'input', hint));
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(object.required) ? (object.required as string[]) : []);
  return Object.entries(properties).map(([name, propSchema]) => {
    const { description, deprecated, ...rest } = propSchema;
    const param: OpenApiParameter = {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      schema: rest,
    };
    if (typeof description === 'string') param.description = description;
    if (deprecated === true) param.deprecated = true;
    return param;
  });
}

function acceptsUndefined(schema: z.ZodType): boolean {
  try {
    return schema.safeParse(undefined).success;
  } catch {
    return false; // async refinements: assume a body is required
  }
}

function buildOperation(
  route: RegisteredRoute,
  store: SchemaStore,
  responses: Record<string, OpenApiResponse>,
) {
  const { spec, operationId } = route;
  const hint = pascal(operationId);
  const op = { operationId } as OpenApiOperation;
  if (spec.summary) op.summary = spec.summary;
  if (spec.description) op.description = spec.description;
  if (spec.tags?.length) op.tags = spec.tags;
  if (spec.deprecated) op.deprecated = true;
  // Public operations say so explicitly (`security: []`).
  op.security = spec.auth ? [{ bearerAuth: [] }] : [];

  const pathParams = buildParameters(spec.params, 'path', store, `${hint}Params`);
  for (const name of pathParamNames(route.path)) {
    if (!pathParams.some((p) => p.name === name)) {
      pathParams.push({ name, in: 'path', required: true, schema: { type: 'string' } });
    }
  }
  const parameters = [...pathParams, ...buildParameters(spec.query, 'query', store, `${hint}Query`)];
  if (parameters.length) op.parameters = parameters;

  if (spec.body) {
    const schema = store.convert(spec.body, 'input', `${hint}Body`);
    const types = spec.bodyContentTypes?.length ? spec.bodyContentTypes : ['application/json'];
    op.requestBody = {
      required: !acceptsUndefined(spec.body),
      content: Object.fromEntries(types.map((t) => [t, { schema }])),
    };
  }
  op.responses = responses;
  return op;
}

function buildResponses(route: RegisteredRoute, store: SchemaStore): Record<string, OpenApiResponse> {
  const { spec } = route;
  const hint = pascal(route.operationId);
  const out: Record<string, OpenApiResponse> = {};
  for (const [status, responseSpec] of Object.entries(spec.responses)) {
    out[status] = buildResponse(Number(status), responseSpec, store, `${hint}Response${status}`);
  }
  const add = (status: number, response: () => OpenApiResponse): void => {
    out[String(status)] ??= response();
  };
  if (spec.params || spec.query || spec.body) add(400, () => problemResponse(400, store, 'Invalid request'));
  if (spec.auth) add(401, () => problemResponse(401, store, 'Missing or invalid bearer token'));
  if (spec.body && !spec.bodyContentTypes) add(415, () => problemResponse(415, store));
  if (spec.auth || spec.write) {
    add(429, () => ({
      ...problemResponse(
        429,
        store,
        'Rate limit exceeded: the caller’s read or write budget, or the client address’s failed authentications',
      ),
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying',
          schema: { type: 'integer', minimum: 1 },
        },
      },
    }));
  }
  add(500, () =>
    problemResponse(500, store, 'Unexpected error; the body carries a requestId found in the logs'),
  );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => Number(a) - Number(b)));
}

/** Builds the OpenAPI 3.1 document for every route of the registry (and its prefixed views). */
export function buildOpenApiDocument(registry: RouteRegistry, info: OpenApiInfo): OpenApiDocument {
  const store = new SchemaStore();
  store.convert(ProblemSchema, 'output', 'Problem');
  const routes = registry.routes();

  // Output sides first, so `.meta({ id })` names go to response shapes and inputs get `<id>Input`.
  const responses = routes.map((route) => buildResponses(route, store));
  const paths: OpenApiDocument['paths'] = {};
  routes.forEach((route, i) => {
    const key = toOpenApiPath(route.path);
    paths[key] ??= {};
    paths[key][route.method] = buildOperation(route, store, responses[i]);
  });

  const tagNames: string[] = [];
  for (const route of routes)
    for (const t of route.spec.tags ?? []) if (!tagNames.includes(t)) tagNames.push(t);
  const described = new Map((info.tags ?? []).map((t) => [t.name, t]));
  const tags = [...tagNames.map((name) => described.get(name) ?? { name })];
  for (const t of info.tags ?? []) if (!tagNames.includes(t.name)) tags.push(t);

  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    paths,
    components: {
      schemas: store.schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'API token: `Authorization: Bearer <token>`',
        },
      },
    },
  };
  if (info.description) doc.info.description = info.description;
  if (info.servers?.length) doc.servers = info.servers;
  if (tags.length) doc.tags = tags;
  return doc;
}

/**
 * `GET /openapi.json`. The document is built on first request and rebuilt only when routes were
 * added since, so register every route before serving traffic.
 */
export function openApiHandler(registry: RouteRegistry, info: OpenApiInfo): RequestHandler {
  let cached: { count: number; body: string } | undefined;
  return (_req, res) => {
    const count = registry.routes().length;
    if (!cached || cached.count !== count) {
      cached = { count, body: JSON.stringify(buildOpenApiDocument(registry, info)) };
    }
    res.type('application/json').send(cached.body);
  };
}
