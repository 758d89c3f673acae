/**
 * The API's own OpenAPI document passes Redocly's `recommended` ruleset with no errors.
 * The app is built without connections: Postgres and Temporal are used only while serving requests,
 * and this test serves only `/openapi.json`.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';

const { app } = createApp({
  db: undefined as never,
  temporal: undefined as never,
  logger: pino({ level: 'silent' }),
  taskQueue: 'unused',
  namespace: 'default',
  publicUrl: 'https://ltc.example.org/',
});

async function openApiText(): Promise<string> {
  const res = await request(app).get('/openapi.json');
  expect(res.status).toBe(200);
  return res.text;
}

test('Redocly recommended rules: 0 errors', async () => {
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: await openApiText(), absoluteRef: 'openapi.json', config });
  const errors = problems
    .filter((p) => p.severity === 'error')
    .map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
  expect(errors).toEqual([]);
});

test('public operations declare security: [], the others bearerAuth; servers are listed', async () => {
  const doc = JSON.parse(await openApiText());
  expect(doc.servers).toEqual([{ url: 'https://ltc.example.org', description: expect.any(String) }]);
  for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
    expect(doc.paths[path]?.get?.security).toEqual([]);
  }
  expect(doc.paths['/deals'].post.security).toEqual([{ bearerAuth: [] }]);
  expect(doc.paths['/users/me'].get.security).toEqual([{ bearerAuth: [] }]);
});
