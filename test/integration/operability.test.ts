/**
 * Operability of the real app: health and readiness, the OpenAPI document covering every route,
 * the docs page, Prometheus metrics (ops only) and the per-token rate limit.
 */
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createDb } from '../../db/client';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import { applyDefinition, createOrg, eventually, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
});

afterAll(async () => {
  await world?.stop();
});

function appWith(overrides: Partial<Parameters<typeof createApp>[0]>) {
  return createApp({
    db: world.db,
    temporal: world.client,
    logger: pino({ level: 'silent' }),
    taskQueue: world.taskQueue,
    namespace: 'default',
    publicUrl: 'http://localhost',
    rateLimitReadsPerMinute: 1_000_000,
    rateLimitFailedAuthPerMinute: 1_000_000,
    ...overrides,
  });
}

test('healthz answers ok; readyz is 200 only while Postgres and Temporal both answer', async () => {
  expect((await request(world.app).get('/healthz')).body).toEqual({ status: 'ok' });
  const ready = await request(world.app).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toMatchObject({ status: 'ready', failing: [] });

  const deadDb = createDb('postgres://postgres@127.0.0.1:1/none', { max: 1 });
  try {
    const noPg = await request(appWith({ db: deadDb.db }).app).get('/readyz');
    expect(noPg.status).toBe(503);
    expect(noPg.body).toMatchObject({ status: 'unavailable', failing: ['postgres'] });
  } finally {
    await deadDb.close();
  }

  // No retry interceptor: the probe fails fast and nothing retries after the channel is closed.
  const lazy = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500, interceptors: [] });
  try {
    const noTemporal = await request(appWith({ temporal: new Client({ connection: lazy }) }).app).get(
      '/readyz',
    );
    expect(noTemporal.status).toBe(503);
    expect(noTemporal.body.failing).toEqual(['temporal']);
  } finally {
    await lazy.close().catch(() => {});
  }
});

/** Every route the express app answers, as `METHOD /path/:param`. */
function expressRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: unknown[], prefix: string) => {
    for (const layer of stack as {
      route?: { path: string; methods: Record<string, boolean> };
      handle?: { stack?: unknown[] };
      name?: string;
    }[]) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods))
          out.push(`${m.toUpperCase()} ${prefix}${layer.route.path}`.replace(/(.)\/$/, '$1'));
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix);
      }
    }
  };
  const router = (app as unknown as { router: { stack: unknown[] } }).router;
  walk(router.stack, '');
  return out;
}

test('the OpenAPI document lists every route the app serves', async () => {
  const { app, registry } = appWith({});
  const doc = (await request(app).get('/openapi.json')).body as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
  };
  expect(doc.openapi).toBe('3.1.0');
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  const registered = registry.routes().map((r) => `${r.method.toUpperCase()} ${r.path}`);
  expect(documented.sort()).toEqual(registered.sort());
  expect(registered).toEqual(expect.arrayContaining(['GET /openapi.json', 'GET /docs']));
  // Every route express serves is a registered one. A router mounted under a prefix (/deals) knows
  // only the rest of the path, so compare by method and path suffix.
  const served = expressRoutes(app).filter((r) => !/openapi|docs|metrics/.test(r));
  expect(served.length).toBeGreaterThanOrEqual(registered.filter((r) => !/openapi|docs/.test(r)).length);
  const undocumented = served.filter((r) => {
    const [method, p] = r.split(' ');
    return !registered.some((x) => {
      const [m, full] = x.split(' ');
      return (
        m === method &&
        (full === p || full.endsWith(p === '/' ? '' : p) || full === `/deals${p === '/' ? '' : p}`)
      );
    });
  });
  expect(undocumented).toEqual([]);
  for (const must of [
    'POST /deals',
    'GET /deals/{id}',
    'POST /deals/{id}/signoffs',
    'GET /deals/{id}/timeline',
    'GET /me/tasks',
    'POST /process-definitions',
    'GET /reports/pipeline',
    'GET /me/notifications',
  ]) {
    const [method, p] = must.split(' ');
    expect(doc.paths[p]?.[method.toLowerCase()]).toBeDefined();
  }
});

test('the docs page is served from local assets, not a CDN', async () => {
  const res = await request(world.app).get('/docs');
  expect(res.status).toBe(200);
  expect(res.text).not.toMatch(/https?:\/\/(?!localhost)/);
  const assets = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  expect(assets.length).toBeGreaterThan(0);
  for (const a of assets) expect((await request(world.app).get(a)).status).toBe(200);
});

test('metrics count HTTP latency, sign-offs and escalations', async () => {
  const def: ProcessDefinition = {
    key: 'metrics',
    name: { en: 'Metrics', zh: '指标' },
    stages: [
      {
        key: 'only',
        name: { en: 'Only', zh: '唯一' },
        approvers: ['AR', 'SR'],
        rule: 'all',
        sla: { within: '1s', escalate: [{ after: '0s', notify: ['manager'] }] },
        weights: { AR: 0.5, SR: 0.5 },
      },
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const api = dealApi(world);
  const created = await api.createOn(org.manager, key, triangleOf(org), { title: 'Metrics deal' });
  expect((await api.sign(org.ar, created.body.id, { stage: 'only' })).status).toBe(200);
  await eventually(async () =>
    (await api.timeline(org.manager, created.body.id)).some((e) => e.type === 'stage.escalated'),
  );
  const scrape = await request(world.app).get('/metrics').set(org.ops.auth);
  expect(scrape.status).toBe(200);
  const text = scrape.text;
  expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/deals\/:id\/signoffs"/);
  expect(text).toMatch(/ltc_signoffs_total\{decision="approve"\} [1-9]/);
  expect(text).toMatch(/ltc_escalations_total\{level="1"\} [1-9]/);
});

test('metrics are for ops and admin only: anonymous 401, a member 403', async () => {
  const anonymous = await request(world.app).get('/metrics');
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers['www-authenticate']).toBe('Bearer');
  expect(anonymous.text).not.toContain('http_request_duration_seconds');
  const member = await request(world.app).get('/metrics').set(org.ar.auth);
  expect(member.status).toBe(403);
  expect(member.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(member.text).not.toContain('http_request_duration_seconds');
});

test('write endpoints are rate limited per token with Retry-After', async () => {
  const { app } = appWith({ rateLimitPerMinute: 2 });
  const send = () => request(app).post('/deals').set(org.ar.auth).send({ title: '' }); // invalid on purpose: no deal is made
  expect((await send()).status).toBe(400);
  expect((await send()).status).toBe(400);
  const limited = await send();
  expect(limited.status).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
  // Another token has its own budget.
  expect((await request(app).post('/deals').set(org.sr.auth).send({ title: '' })).status).toBe(400);
});
