/** The web app's static serving under /app/ (api/http/web-app.ts), against a stand-in build. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { errorHandler, notFoundHandler } from '../../api/http/error-handler';
import { webAppRouter } from '../../api/http/web-app';

function appServing(dir: string) {
  const app = express();
  app.use(webAppRouter(dir));
  app.get('/deals', (_req, res) => res.json({ api: true }));
  app.use(notFoundHandler);
  app.use(errorHandler(pino({ level: 'silent' })));
  return app;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-web-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('GET / sends a browser to /app/, and /app to /app/', async () => {
  const app = appServing(dir);
  expect((await request(app).get('/')).headers.location).toBe('/app/');
  const bare = await request(app).get('/app');
  expect([bare.status, bare.headers.location]).toEqual([301, '/app/']);
});

test('/app/ and every client route answer the app shell, never cached, with a CSP', async () => {
  const app = appServing(dir);
  for (const url of ['/app/', '/app/pipeline?status=open', '/app/deals/123', '/app/me/tasks']) {
    const res = await request(app).get(url);
    expect([url, res.status]).toEqual([url, 200]);
    expect(res.text).toContain('<title>app</title>');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  }
});

test('assets are served locally and cached for a year; a missing asset is a 404, not the shell', async () => {
  const app = appServing(dir);
  const js = await request(app).get('/app/assets/index-abc.js');
  expect(js.status).toBe(200);
  expect(js.headers['cache-control']).toContain('immutable');
  expect((await request(app).get('/app/assets/nope.js')).status).toBe(404);
  expect((await request(app).get('/app/favicon.svg')).status).toBe(200);
});

test('API paths are untouched; without a build /app/ answers 503 saying how to build it', async () => {
  expect((await request(appServing(dir)).get('/deals')).body).toEqual({ api: true });
  const missing = await request(appServing(path.join(dir, 'nope'))).get('/app/');
  expect(missing.status).toBe(503);
  expect(missing.body.detail).toContain('npm run build:web');
});
