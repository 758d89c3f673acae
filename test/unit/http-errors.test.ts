import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  answerClientErrors,
  conflict,
  createHttpApp,
  createLogger,
  createRouteRegistry,
  formatZodPath,
  HttpProblem,
  type Logger,
  notFound,
  PROBLEM_TYPE_BASE,
  validate,
} from '../../api/http';

function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { destination: { write: (s: string) => lines.push(JSON.parse(s)) } });
  return { logger, lines };
}

const Stage = z.object({
  name: z.string().min(1),
  sla: z.object({ remind: z.array(z.number().int().positive()) }),
});
const Definition = z.object({ stages: z.array(Stage), value: z.object({ amount: z.number() }) });

function buildApp(logger: Logger): Express {
  const registry = createRouteRegistry();
  return createHttpApp({
    logger,
    registry,
    openapi: { title: 't', version: '1' },
    docs: false,
    jsonLimit: '1kb',
    routes: (app) => {
      const router = express.Router();
      registry.route(
        router,
        {
          method: 'post',
          path: '/defs/:id',
          params: z.object({ id: z.string().regex(/^d-\d+$/) }),
          query: z.object({ limit: z.coerce.number().int().max(200).optional() }),
          body: Definition,
          responses: { 201: Definition },
        },
        (_req, res) => {
          res.status(201).json(res.locals.body);
        },
      );
      router.get('/boom', () => {
        throw new Error('db password is hunter2');
      });
      router.get('/boom-async', async () => {
        await Promise.resolve();
        throw new TypeError('secret stack detail');
      });
      router.get('/non-error', () => {
        throw 'a string, not an Error';
      });
      router.get('/conflict', () => {
        throw conflict('Version mismatch', { currentVersion: 4, status: 999 });
      });
      router.get('/missing', () => {
        throw notFound('Deal d-1 not found');
      });
      router.get('/unavailable', () => {
        throw new HttpProblem(503, {
          type: 'unavailable',
          detail: 'Workflow engine down',
          headers: { 'Retry-After': '5' },
        });
      });
      router.get('/zod-in-handler', () => {
        z.object({ a: z.string() }).parse({ a: 1 });
      });
      router.get('/legacy', validate({ query: z.object({ flag: z.enum(['yes', 'no']) }) }), (_req, res) => {
        res.json(res.locals.query);
      });
      app.use(router);
    },
  });
}

describe('problem+json errors', () => {
  const { logger, lines } = captureLogger();
  const app = buildApp(logger);

  beforeEach(() => {
    lines.length = 0;
  });

  test('valid request passes validation and reaches the handler', async () => {
    const body = { stages: [{ name: 'a', sla: { remind: [1, 2] } }], value: { amount: 3 } };
    const res = await request(app).post('/defs/d-1?limit=10').send(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual(body);
  });

  test('zod failure → 400 with prefixed, bracketed paths across all request parts', async () => {
    const res = await request(app)
      .post('/defs/nope?limit=500')
      .send({
        stages: [{ name: 'a', sla: { remind: [1] } }, {}, {}, { name: 'd', sla: { remind: ['x'] } }],
        value: {},
      });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: PROBLEM_TYPE_BASE + 'validation-error',
      title: 'Validation Failed',
      status: 400,
    });
    expect(typeof res.body.detail).toBe('string');
    expect(typeof res.body.requestId).toBe('string');
    const paths = (res.body.errors as { path: string; message: string }[]).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'params.id',
        'query.limit',
        'body.stages[1].name',
        'body.stages[1].sla',
        'body.stages[3].sla.remind[0]',
        'body.value.amount',
      ]),
    );
    for (const e of res.body.errors) expect(typeof e.message).toBe('string');
  });

  test('missing JSON body → 400 at path "body"', async () => {
    const res = await request(app).post('/defs/d-1');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body' })]);
  });

  test('validate() used directly reports query paths', async () => {
    const res = await request(app).get('/legacy?flag=maybe');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('query.flag');
    const ok = await request(app).get('/legacy?flag=yes');
    expect(ok.body).toEqual({ flag: 'yes' });
  });

  test('malformed JSON → 400 Malformed JSON', async () => {
    const res = await request(app)
      .post('/defs/d-1')
      .set('Content-Type', 'application/json')
      .send('{"stages": [');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: PROBLEM_TYPE_BASE + 'malformed-json',
      title: 'Malformed JSON',
      status: 400,
      errors: [{ path: 'body', message: expect.any(String) }],
    });
  });

  // Found by `npm run fuzz`: the router's decode error was a bare 400 naming no field.
  test.each(['%zz', '%ED%A0%80', '%FF'])('undecodable path segment %s → 404 problem', async (segment) => {
    const res = await request(app)
      .post(`/defs/${segment}`)
      .set('Content-Type', 'application/json')
      .send({ stages: [], value: { amount: 1 } });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: PROBLEM_TYPE_BASE + 'not-found', status: 404 });
  });

  test('body over the limit → 413', async () => {
    const res = await request(app)
      .post('/defs/d-1')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ stages: [], value: { amount: 1 }, pad: 'x'.repeat(5000) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ type: PROBLEM_TYPE_BASE + 'payload-too-large', status: 413 });
  });

  test('non-JSON body on a JSON route → 415', async () => {
    const res = await request(app).post('/defs/d-1').set('Content-Type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
    expect(res.body.type).toBe(PROBLEM_TYPE_BASE + 'unsupported-media-type');
  });

  test('unknown route → 404 problem', async () => {
    const res = await request(app).get('/nowhere/at/all');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: PROBLEM_TYPE_BASE + 'not-found',
      title: 'Not Found',
      status: 404,
    });
  });

  test('HttpProblem thrown by a handler keeps its status, detail and extensions', async () => {
    const missing = await request(app).get('/missing');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('Deal d-1 not found');

    const res = await request(app).get('/conflict');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: PROBLEM_TYPE_BASE + 'conflict', status: 409, currentVersion: 4 });

    const down = await request(app).get('/unavailable');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.body.detail).toBe('Workflow engine down');
  });

  test.each(['/boom', '/boom-async', '/non-error'])(
    '%s → 500 with requestId, nothing leaked, logged',
    async (path) => {
      const res = await request(app).get(path).set('X-Request-Id', 'req-abc-123');
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual({
        type: PROBLEM_TYPE_BASE + 'internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred',
        requestId: 'req-abc-123',
      });
      expect(res.headers['x-request-id']).toBe('req-abc-123');
      expect(res.text).not.toMatch(/hunter2|secret stack|a string, not|at .*\.ts/);

      const errorLog = lines.find((l) => l.msg === 'unhandled error while processing request');
      expect(errorLog).toBeDefined();
      expect(errorLog?.requestId).toBe('req-abc-123');
      expect(errorLog?.level).toBe('error');
    },
  );

  test('a ZodError thrown inside a handler → 400 without a request-part prefix', async () => {
    const res = await request(app).get('/zod-in-handler');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'a' })]);
  });

  test('access log lines carry the request id', async () => {
    await request(app).get('/nowhere').set('X-Request-Id', 'trace-42');
    await new Promise((r) => setImmediate(r));
    const access = lines.find((l) => l.requestId === 'trace-42' && l.msg === 'request completed');
    expect(access).toBeDefined();
  });
});

// Found by `npm run fuzz`: Node's parser answered these itself, as a bare 431/400 with no body.
describe('answerClientErrors', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = answerClientErrors(http.createServer(buildApp(captureLogger().logger)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const raw = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
      let out = '';
      socket.on('data', (c) => {
        out += c.toString('utf8');
      });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });

  test('a request line over the header limit → 431 problem+json', async () => {
    const out = await raw(`GET /missing?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(out).toMatch(/^HTTP\/1\.1 431 /);
    expect(out).toMatch(/content-type: application\/problem\+json/i);
    const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ type: PROBLEM_TYPE_BASE + 'request-header-fields-too-large', status: 431 });
  });

  test('a request that is not HTTP → 400 problem+json', async () => {
    const out = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ type: PROBLEM_TYPE_BASE + 'bad-request', status: 400 });
  });
});

describe('formatZodPath', () => {
  test.each([
    [['stages', 3, 'sla', 'remind', 0], 'stages[3].sla.remind[0]'],
    [['body', 'value', 'amount'], 'body.value.amount'],
    [[0, 'a'], '[0].a'],
    [['headers', 'x-id'], 'headers["x-id"]'],
    [[], ''],
  ] as [PropertyKey[], string][])('%j → %s', (path, expected) => {
    expect(formatZodPath(path)).toBe(expected);
  });
});

describe('HttpProblem', () => {
  test('rejects non-error statuses', () => {
    expect(() => new HttpProblem(200)).toThrow(RangeError);
  });
  test('extensions cannot override standard members', () => {
    const body = conflict('x', { status: 200, type: 'evil', extra: true }).toBody('r1');
    expect(body).toMatchObject({
      status: 409,
      type: PROBLEM_TYPE_BASE + 'conflict',
      extra: true,
      requestId: 'r1',
    });
  });
});
