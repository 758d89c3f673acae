import express, { type Express, type RequestHandler } from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  createRouteRegistry,
  docsRouter,
  type Metrics,
  notFound,
  unauthorized,
} from '../../api/http';

function buildApp(metrics: Metrics, metricsGuard?: RequestHandler[]): Express {
  const registry = createRouteRegistry();
  return createHttpApp({
    logger: createLogger('silent'),
    registry,
    metrics,
    metricsGuard,
    openapi: { title: 'LTC API', version: '1' },
    docs: { title: 'LTC <API>' },
    routes: (app) => {
      const items = express.Router();
      const scoped = registry.withPrefix('/items');
      scoped.route(
        items,
        {
          method: 'get',
          path: '/:id',
          params: z.object({ id: z.string() }),
          responses: { 200: z.object({ id: z.string() }) },
        },
        (req, res) => {
          if (req.params.id === 'missing') throw notFound();
          res.json({ id: res.locals.params.id });
        },
      );
      scoped.route(
        items,
        { method: 'get', path: '/', responses: { 200: z.array(z.string()) } },
        (_req, res) => {
          res.json([]);
        },
      );
      app.use('/items', items);
    },
  });
}

describe('GET /docs', () => {
  const app = buildApp(createMetrics({ defaultMetrics: false }));

  test('HTML page with local assets only', async () => {
    const res = await request(app).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).not.toMatch(/https?:\/\//);
    expect(res.text).not.toMatch(/\/\/(unpkg|cdn|cdnjs)/);
    expect(res.text).toContain('<title>LTC &#60;API&#62;</title>');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");

    const urls = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual(
      expect.arrayContaining([
        '/docs/assets/swagger-ui.css',
        '/docs/assets/swagger-ui-bundle.js',
        '/docs/init.js',
      ]),
    );
    for (const url of urls) {
      expect(url.startsWith('/')).toBe(true);
      const asset = await request(app).get(url);
      expect(asset.status).toBe(200);
      expect(asset.body.length ?? asset.text.length).toBeGreaterThan(0);
    }
  });

  test('init script points at /openapi.json, not the petstore', async () => {
    const res = await request(app).get('/docs/init.js');
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.text).toContain('"/openapi.json"');
    expect(res.text).not.toMatch(/petstore|https?:\/\//);
    expect((await request(app).get('/openapi.json')).status).toBe(200);
  });

  test('only the needed package files are exposed', async () => {
    expect((await request(app).get('/docs/assets/swagger-initializer.js')).status).toBe(404);
    expect((await request(app).get('/docs/assets/package.json')).status).toBe(404);
    expect((await request(app).get('/docs/assets/../package.json')).status).toBe(404);
  });

  test('asset URLs follow the mount path', async () => {
    const mounted = express();
    mounted.use('/api', docsRouter({ openApiUrl: '/api/openapi.json' }));
    const res = await request(mounted).get('/api/docs');
    expect(res.text).toContain('/api/docs/assets/swagger-ui-bundle.js');
    expect((await request(mounted).get('/api/docs/assets/swagger-ui.css')).status).toBe(200);
    expect((await request(mounted).get('/api/docs/init.js')).text).toContain('"/api/openapi.json"');
  });
});

describe('GET /metrics', () => {
  const metrics = createMetrics();
  const app = buildApp(metrics);

  test('exposes latency histograms labelled by route pattern, plus business counters', async () => {
    await request(app).get('/items/abc');
    await request(app).get('/items/def');
    await request(app).get('/items/missing');
    await request(app).get('/items');
    await request(app).get('/no/such/thing');
    metrics.signoffs.inc({ decision: 'approved' });
    metrics.escalations.inc({ level: '2' });

    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/items\/:id",status="200"\} 2/,
    );
    // An error forwarded to the app-level handler keeps the full pattern.
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/items\/:id",status="404"\} 1/,
    );
    expect(text).toMatch(/route="\/items",status="200"/);
    expect(text).toMatch(/route="unmatched",status="404"/);
    expect(text).not.toMatch(/route="\/items\/(abc|def|missing)"/);
    expect(text).not.toContain('/no/such/thing');
    expect(text).toMatch(/ltc_signoffs_total\{decision="approved"\} 1/);
    expect(text).toMatch(/ltc_escalations_total\{level="2"\} 1/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('a guard runs before the handler and can refuse the scrape', async () => {
    const guarded = buildApp(createMetrics({ defaultMetrics: false }), [
      (req, _res, next) => {
        if (req.headers.authorization !== 'Bearer ops') throw unauthorized();
        next();
      },
    ]);
    const refused = await request(guarded).get('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.text).not.toContain('http_request_duration_seconds');
    const allowed = await request(guarded).get('/metrics').set('Authorization', 'Bearer ops');
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('http_request_duration_seconds');
    // The other operability routes stay public.
    expect((await request(guarded).get('/openapi.json')).status).toBe(200);
    expect((await request(guarded).get('/docs')).status).toBe(200);
  });

  test('each app has its own registry', () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.signoffs.inc({ decision: 'approved' });
    expect(a.registry).not.toBe(b.registry);
  });
});
