/**
 * The door refuses text Postgres cannot store: `storableText()` fields by their schema, and anything
 * a schema lets through (a record's keys, `z.unknown()`) by the walk `validate()` makes afterwards.
 */
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createHttpApp, createLogger, createRouteRegistry } from '../../api/http';
import { isStorableInstant, storableText } from '../../api/http/storable';

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
          method: 'post',
          path: '/things/:id',
          params: z.object({ id: z.string() }),
          query: z.object({ q: z.string().optional() }),
          body: z.object({
            name: storableText().max(20).optional(),
            meta: z.record(z.string(), z.unknown()).optional(),
          }),
          responses: { 200: z.object({ ok: z.boolean() }) },
        },
        (_req, res) => {
          res.json({ ok: true });
        },
      );
      app.use(router);
    },
  });
}

const app = buildApp();
const post = (path: string, body: object) => request(app).post(path).send(body);
const paths = (res: request.Response) => (res.body.errors ?? []).map((e: { path: string }) => e.path);

test('storableText refuses NUL and unpaired surrogates by field', async () => {
  for (const name of ['a\u0000', '\uD800', 'x\uDC00y']) {
    const res = await post('/things/1', { name });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['body.name']);
    expect(res.body.errors[0].message).toMatch(/NUL \(U\+0000\) or unpaired UTF-16 surrogates/);
  }
  expect((await post('/things/1', { name: '中文 😀' })).status).toBe(200);
});

test('what a schema lets through is refused after parsing: values and keys at any depth', async () => {
  const value = await post('/things/1', { meta: { list: ['ok', { deep: 'a\u0000' }] } });
  expect(value.status).toBe(400);
  expect(paths(value)).toEqual(['body.meta.list[1].deep']);
  const key = await post('/things/1', { meta: { 'k\uD800': 1 } });
  expect(key.status).toBe(400);
  expect(key.body.errors[0].message).toMatch(/^field name must not contain NUL/);
  const query = await request(app).post('/things/1').query({ q: 'a\u0000' }).send({});
  expect(paths(query)).toEqual(['query.q']);
});

test('a path id that cannot be stored names nothing: 404', async () => {
  const res = await post('/things/a%00b', {});
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
});

test('isStorableInstant: the years 1 to 9999 (UTC) that timestamptz parses', () => {
  expect(isStorableInstant('2025-01-31T08:00:00Z')).toBe(true);
  expect(isStorableInstant('0001-01-01T00:00:00Z')).toBe(true);
  expect(isStorableInstant('0000-12-31T23:59:59Z')).toBe(false);
  expect(isStorableInstant('0001-01-01T00:00:00+08:00')).toBe(false);
  expect(isStorableInstant('9999-12-31T23:59:59Z')).toBe(true);
  expect(isStorableInstant('9999-12-31T23:59:59-01:00')).toBe(false);
  expect(isStorableInstant('bogus')).toBe(false);
});
