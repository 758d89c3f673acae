import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  createHttpApp,
  createLogger,
  createRouteRegistry,
  decodeCursor,
  encodeCursor,
  HttpProblem,
  page,
  pageSchema,
  paginationQuery,
} from '../../api/http';

const CursorSchema = z.object({ id: z.number().int() });
const ROWS = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, name: `item-${i + 1}` }));

function buildApp() {
  const registry = createRouteRegistry();
  return createHttpApp({
    logger: createLogger('silent'),
    registry,
    openapi: { title: 't', version: '1' },
    docs: false,
    routes: (app) => {
      const router = express.Router();
      registry.route(
        router,
        {
          method: 'get',
          path: '/items',
          query: paginationQuery,
          responses: { 200: pageSchema(z.object({ id: z.number(), name: z.string() })) },
        },
        (_req, res) => {
          const { limit, cursor } = res.locals.query;
          const after = decodeCursor(cursor, CursorSchema)?.id ?? 0;
          const rows = ROWS.filter((r) => r.id > after).slice(0, limit + 1); // limit + 1 rows
          res.json(page(rows, limit, (last) => ({ id: last.id })));
        },
      );
      app.use(router);
    },
  });
}

describe('pagination', () => {
  const app = buildApp();

  test('walks every page with the cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await request(app)
        .get('/items')
        .query(cursor ? { limit: 3, cursor } : { limit: 3 });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      seen.push(...res.body.items.map((i: { id: number }) => i.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(pages).toBe(3);
  });

  test('limit defaults to 50, is capped at 200', async () => {
    const res = await request(app).get('/items');
    expect(res.body.items).toHaveLength(7);
    expect(res.body.nextCursor).toBeNull();
    for (const bad of ['201', '0', 'abc', '1.5']) {
      const r = await request(app).get('/items').query({ limit: bad });
      expect(r.status).toBe(400);
      expect(r.body.errors[0].path).toBe('query.limit');
    }
    expect((await request(app).get('/items?limit=200')).status).toBe(200);
  });

  test('bad cursor → 400 at query.cursor', async () => {
    for (const bad of ['not*base64', encodeCursor({ id: 'x' }), Buffer.from('{nope').toString('base64url')]) {
      const res = await request(app).get('/items').query({ cursor: bad });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors).toEqual([{ path: 'query.cursor', message: 'Invalid cursor' }]);
    }
  });

  test('encode/decode round trip and page()', () => {
    const c = encodeCursor({ createdAt: '2024-01-01T00:00:00Z', id: 'd-9' });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, z.object({ createdAt: z.string(), id: z.string() }))).toEqual({
      createdAt: '2024-01-01T00:00:00Z',
      id: 'd-9',
    });
    expect(decodeCursor(undefined, CursorSchema)).toBeUndefined();
    expect(() => decodeCursor('!!', CursorSchema)).toThrow(HttpProblem);

    expect(page([1, 2], 2, (n) => ({ n }))).toEqual({ items: [1, 2], nextCursor: null });
    const p = page([1, 2, 3], 2, (n) => ({ n }));
    expect(p.items).toEqual([1, 2]);
    expect(decodeCursor(p.nextCursor!, z.object({ n: z.number() }))).toEqual({ n: 2 });
  });
});
