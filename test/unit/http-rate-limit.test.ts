import express, { type Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  createHttpApp,
  createLogger,
  createRouteRegistry,
  PROBLEM_TYPE_BASE,
  type RateLimitOptions,
  rateLimit,
} from '../../api/http';

function buildApp(limit: Partial<RateLimitOptions> = {}, clock?: { t: number }): Express {
  const limiter = rateLimit({
    capacity: 2,
    refillPerSec: 0.5,
    now: clock ? () => clock.t : undefined,
    ...limit,
  });
  const registry = createRouteRegistry({ writeLimiter: limiter });
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
          path: '/things',
          write: true,
          body: z.object({ n: z.number() }),
          responses: { 201: null },
        },
        (_req, res) => {
          res.status(201).end();
        },
      );
      registry.route(
        router,
        { method: 'get', path: '/things', responses: { 200: z.array(z.string()) } },
        (_req, res) => {
          res.json([]);
        },
      );
      app.use(router);
    },
  });
}

const post = (app: Express, token = 'token-a') =>
  request(app).post('/things').set('Authorization', `Bearer ${token}`).send({ n: 1 });

describe('rate limit on write routes', () => {
  test('exhausted bucket → 429 problem with integer Retry-After', async () => {
    const app = buildApp();
    expect((await post(app)).status).toBe(201);
    expect((await post(app)).status).toBe(201);
    const res = await post(app);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: PROBLEM_TYPE_BASE + 'too-many-requests', status: 429 });
    const retryAfter = res.headers['retry-after'];
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBe(2); // 1 token at 0.5/s
  });

  test('buckets are per token, and read routes are not limited', async () => {
    const app = buildApp();
    await post(app, 'a');
    await post(app, 'a');
    expect((await post(app, 'a')).status).toBe(429);
    expect((await post(app, 'b')).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      expect((await request(app).get('/things').set('Authorization', 'Bearer a')).status).toBe(200);
    }
  });

  test('tokens refill over time', async () => {
    const clock = { t: 1_000_000 };
    const app = buildApp({}, clock);
    await post(app);
    await post(app);
    expect((await post(app)).status).toBe(429);
    clock.t += 1000; // +0.5 token
    const stillLimited = await post(app);
    expect(stillLimited.status).toBe(429);
    expect(stillLimited.headers['retry-after']).toBe('1');
    clock.t += 1000;
    expect((await post(app)).status).toBe(201);
  });

  test('large capacity or enabled: false never limits', async () => {
    for (const app of [buildApp({ capacity: 10_000 }), buildApp({ enabled: false })]) {
      for (let i = 0; i < 20; i++) expect((await post(app)).status).toBe(201);
    }
  });

  test('options are validated', () => {
    expect(() => rateLimit({ capacity: 0, refillPerSec: 1 })).toThrow(RangeError);
    expect(() => rateLimit({ capacity: 1, refillPerSec: 0 })).toThrow(RangeError);
  });

  test('idle full buckets are swept beyond maxKeys', async () => {
    const clock = { t: 0 };
    const limiter = rateLimit({
      capacity: 1,
      refillPerSec: 1,
      maxKeys: 2,
      now: () => clock.t,
      key: (req) => req.get('x-k'),
    });
    const app = express();
    app.use(limiter, (_req, res) => {
      res.end();
    });
    await request(app).get('/').set('x-k', '1');
    await request(app).get('/').set('x-k', '2');
    clock.t += 5000;
    await request(app).get('/').set('x-k', '3');
    expect(limiter.size()).toBe(1);
  });
});
