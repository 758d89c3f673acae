import express, { type Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  buildOpenApiDocument,
  createHttpApp,
  createLogger,
  createRouteRegistry,
  getBody,
  listRegisteredRoutes,
  type OpenApiDocument,
  pageSchema,
  paginationQuery,
  type RouteRegistry,
  toOpenApiPath,
  unauthorized,
} from '../../api/http';

const Money = z.object({ amount: z.number(), currency: z.string().length(3) }).meta({ id: 'Money' });
const Deal = z
  .object({
    id: z.string(),
    value: Money,
    stage: z.enum(['lead', 'won']).default('lead'),
    createdAt: z.date(),
  })
  .meta({ id: 'Deal' });
const SignoffBody = z.object({
  decision: z.enum(['approved', 'rejected']),
  comment: z.string().max(2000).optional(),
});
interface Node {
  name: string;
  children: Node[];
}
const Tree: z.ZodType<Node> = z.object({
  name: z.string(),
  get children() {
    return z.array(Tree);
  },
});

function register(registry: RouteRegistry) {
  const deals = express.Router();
  const scoped = registry.withPrefix('/deals');
  scoped.route(
    deals,
    {
      method: 'get',
      path: '/',
      summary: 'List deals',
      tags: ['deals'],
      auth: true,
      query: paginationQuery,
      responses: { 200: pageSchema(Deal) },
    },
    (_req, res) => {
      res.json({ items: [], nextCursor: null });
    },
  );
  scoped.route(
    deals,
    {
      method: 'get',
      path: '/:id',
      summary: 'Get a deal',
      tags: ['deals'],
      auth: true,
      params: z.object({ id: z.string().describe('Deal id') }),
      responses: { 200: Deal, 404: 'problem' },
    },
    (_req, res) => {
      res.json({ id: res.locals.params.id });
    },
  );
  scoped.route(
    deals,
    {
      method: 'post',
      path: '/:id/signoffs',
      summary: 'Record a sign-off',
      tags: ['deals'],
      auth: true,
      write: true,
      params: z.object({ id: z.string() }),
      body: SignoffBody,
      responses: { 200: Deal, 404: 'problem', 409: 'problem' },
    },
    (_req, res) => {
      // res.locals is typed from the schemas.
      const decision: 'approved' | 'rejected' = res.locals.body.decision;
      const id: string = res.locals.params.id;
      res.json({ id, decision, same: getBody(res, SignoffBody).decision === decision });
    },
  );
  scoped.route(
    deals,
    {
      method: 'put',
      path: '/:id',
      auth: true,
      write: true,
      params: z.object({ id: z.string() }),
      body: Deal,
      responses: { 200: Deal },
    },
    (_req, res) => {
      res.json(res.locals.body);
    },
  );
  scoped.route(
    deals,
    {
      method: 'delete',
      path: '/:id',
      auth: true,
      write: true,
      params: z.object({ id: z.string() }),
      responses: { 204: null },
    },
    (_req, res) => {
      res.status(204).end();
    },
  );

  const defs = express.Router();
  registry.route(
    defs,
    {
      method: 'post',
      path: '/process-definitions',
      summary: 'Upload a process definition (YAML)',
      tags: ['process-definitions'],
      auth: true,
      write: true,
      body: z.string().min(1),
      bodyContentTypes: ['application/yaml'],
      responses: {
        201: { description: 'Created', schema: Tree, headers: { Location: { schema: z.string() } } },
      },
    },
    (_req, res) => {
      res.status(201).json({ len: res.locals.body.length });
    },
  );
  registry.route(defs, { method: 'get', path: '/trees', responses: { 200: Tree } }, (_req, res) => {
    res.json({ name: 'root', children: [] });
  });
  return { deals, defs };
}

function buildApp(): { app: Express; registry: RouteRegistry } {
  const registry = createRouteRegistry({
    authenticate: (req, _res, next) => {
      if (req.get('authorization') !== 'Bearer good') throw unauthorized();
      next();
    },
  });
  const app = createHttpApp({
    logger: createLogger('silent'),
    registry,
    openapi: { title: 'LTC API', version: '1.0.0', servers: [{ url: '/' }] },
    routes: (a) => {
      const { deals, defs } = register(registry);
      a.use('/deals', deals);
      a.use(express.text({ type: 'application/yaml' }), defs);
    },
  });
  return { app, registry };
}

function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, seg) =>
        (node as Record<string, unknown> | undefined)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')],
      doc,
    );
}

describe('OpenAPI document', () => {
  const { app, registry } = buildApp();
  let doc: OpenApiDocument;

  beforeAll(async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body;
  });

  test('is OpenAPI 3.1 with the basic structure', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'LTC API', version: '1.0.0' });
    expect(doc.servers).toEqual([{ url: '/' }]);
    expect(typeof doc.paths).toBe('object');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.tags?.map((t) => t.name)).toEqual(['operability', 'deals', 'process-definitions']);
    expect(doc).toEqual(
      JSON.parse(
        JSON.stringify(
          buildOpenApiDocument(registry, { title: 'LTC API', version: '1.0.0', servers: [{ url: '/' }] }),
        ),
      ),
    );
  });

  test('lists every registered route, and nothing else', () => {
    const routes = listRegisteredRoutes(registry);
    // The app's own documentation routes (/openapi.json, /docs) and the 7 registered above.
    expect(routes).toHaveLength(9);
    for (const { method, path } of routes) {
      expect(doc.paths[toOpenApiPath(path)]?.[method]).toBeDefined();
    }
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`).sort());
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/deals',
        '/deals/{id}',
        '/deals/{id}/signoffs',
        '/process-definitions',
        '/trees',
      ]),
    );
  });

  test('operations are well formed', () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops)) {
        expect(op).toBeDefined();
        if (!op) continue;
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [status, r] of Object.entries(op.responses)) {
          expect(status).toMatch(/^[1-5]\d\d$/);
          expect(typeof r.description).toBe('string');
        }
        expect(op.responses['500'].content?.['application/problem+json'].schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
        const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(pathParams.sort()).toEqual([...templated].sort());
        for (const p of op.parameters ?? []) if (p.in === 'path') expect(p.required).toBe(true);
      }
    }
  });

  test('every $ref resolves and no JSON-Schema-document keywords leak', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(resolvePointer(doc, ref)).toBeDefined();
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"$schema"');
    expect(text).not.toContain('"$defs"');
    expect(text).not.toContain('"$ref":"#"');
  });

  test('schemas come from zod: components, input/output sides, problem', () => {
    const schemas = doc.components.schemas;
    expect(schemas.Problem).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'title', 'status', 'detail']),
    });
    // Output side: defaults are guaranteed, dates are strings.
    expect(schemas.Deal).toMatchObject({
      required: expect.arrayContaining(['id', 'value', 'stage', 'createdAt']),
    });
    expect((schemas.Deal as { properties: Record<string, unknown> }).properties.createdAt).toEqual({
      type: 'string',
      format: 'date-time',
    });
    // Input side differs (stage optional) → separate component.
    expect(schemas.DealInput).toBeDefined();
    expect((schemas.DealInput as { required: string[] }).required).not.toContain('stage');
    expect(schemas.Money).toBeDefined();

    const put = doc.paths['/deals/{id}']?.put;
    expect(put?.requestBody?.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/DealInput',
    });
    expect(put?.responses['200'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Deal',
    });
  });

  test('parameters, request bodies, security and rate-limit responses', () => {
    const list = doc.paths['/deals']?.get;
    expect(list?.security).toEqual([{ bearerAuth: [] }]);
    // Reads are rate limited too.
    expect(list?.responses['429'].headers?.['Retry-After']).toBeDefined();
    const limit = list?.parameters?.find((p) => p.name === 'limit');
    expect(limit).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    });
    expect(list?.parameters?.find((p) => p.name === 'cursor')).toMatchObject({
      in: 'query',
      required: false,
    });

    const get = doc.paths['/deals/{id}']?.get;
    expect(get?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, description: 'Deal id', schema: { type: 'string' } },
    ]);
    expect(get?.responses['404'].content?.['application/problem+json']).toBeDefined();
    expect(get?.responses['401']).toBeDefined();

    const signoff = doc.paths['/deals/{id}/signoffs']?.post;
    expect(signoff?.requestBody).toMatchObject({
      required: true,
      content: { 'application/json': { schema: { type: 'object', required: ['decision'] } } },
    });
    expect(signoff?.responses['429'].headers?.['Retry-After']).toBeDefined();
    expect(Object.keys(signoff?.responses ?? {})).toEqual([
      '200',
      '400',
      '401',
      '404',
      '409',
      '415',
      '429',
      '500',
    ]);

    const del = doc.paths['/deals/{id}']?.delete;
    expect(del?.responses['204']).toEqual({ description: 'No Content' });

    const yaml = doc.paths['/process-definitions']?.post;
    expect(Object.keys(yaml?.requestBody?.content ?? {})).toEqual(['application/yaml']);
    expect(yaml?.responses['201'].headers?.Location).toEqual({ schema: { type: 'string' } });
    expect(yaml?.responses['415']).toBeUndefined();

    expect(doc.paths['/trees']?.get?.security).toEqual([]);
  });

  test('recursive schemas become components', () => {
    const ref = doc.paths['/trees']?.get?.responses['200'].content?.['application/json'].schema
      .$ref as string;
    expect(ref).toMatch(/^#\/components\/schemas\//);
    const tree = resolvePointer(doc, ref) as { properties: { children: { items: { $ref: string } } } };
    expect(tree.properties.children.items.$ref).toBe(ref);
  });

  test('registered routes work at runtime (auth, validation, non-JSON body)', async () => {
    expect((await request(app).get('/deals/d-1')).status).toBe(401);
    const ok = await request(app).get('/deals/d-1').set('Authorization', 'Bearer good');
    expect(ok.body).toEqual({ id: 'd-1' });
    const signoff = await request(app)
      .post('/deals/d-1/signoffs')
      .set('Authorization', 'Bearer good')
      .send({ decision: 'approved' });
    expect(signoff.body).toEqual({ id: 'd-1', decision: 'approved', same: true });
    const bad = await request(app)
      .post('/deals/d-1/signoffs')
      .set('Authorization', 'Bearer good')
      .send({ decision: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('body.decision');
    const yaml = await request(app)
      .post('/process-definitions')
      .set('Authorization', 'Bearer good')
      .set('Content-Type', 'application/yaml')
      .send('name: x\n');
    expect(yaml.status).toBe(201);
    expect(yaml.body).toEqual({ len: 8 });
  });
});

describe('route registration guards', () => {
  const h = () => undefined;
  test('params schema must match the path', () => {
    const r = createRouteRegistry();
    expect(() =>
      r.route(
        express.Router(),
        { method: 'get', path: '/a/:id', params: z.object({ key: z.string() }), responses: { 200: null } },
        h,
      ),
    ).toThrow(/params schema/);
  });
  test('duplicates and unsupported path syntax are rejected', () => {
    const r = createRouteRegistry();
    const router = express.Router();
    r.route(router, { method: 'get', path: '/a/:id', responses: { 200: null } }, h);
    expect(() => r.route(router, { method: 'get', path: '/a/:other', responses: { 200: null } }, h)).toThrow(
      /already registered/,
    );
    expect(() =>
      r.route(router, { method: 'get', path: '/files/*rest', responses: { 200: null } }, h),
    ).toThrow(/path/);
    expect(() => r.route(router, { method: 'get', path: '/b', responses: { 404: 'problem' } }, h)).toThrow(
      /2xx/,
    );
  });
  test('undeclared path params are still documented', () => {
    const r = createRouteRegistry();
    r.route(express.Router(), { method: 'get', path: '/x/:xid', responses: { 200: null } }, h);
    const doc = buildOpenApiDocument(r, { title: 't', version: '1' });
    expect(doc.paths['/x/{xid}']?.get?.parameters).toEqual([
      { name: 'xid', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });
});
