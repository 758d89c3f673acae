/**
 * Every list answers a garbled or forged cursor with 400 naming `query.cursor`, never a database
 * error. The lists are found in the served OpenAPI document (every GET with a `cursor` parameter),
 * so a new list without a case here fails the test.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { dealApi } from './support/api';
import { soloStage } from './support/process';
import { applyDefinition, createOrg, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let dealId: string;
let contactId: string;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  const key = (
    await applyDefinition(world, { key: 'cursors', name: { en: 'C', zh: 'C' }, stages: [soloStage('only')] })
  ).key;
  const res = await dealApi(world).createOn(org.manager, key, triangleOf(org));
  expect(res.status).toBe(201);
  dealId = res.body.id;
  const account = await request(world.app)
    .post('/accounts')
    .set(org.manager.auth)
    .send({ name: `Cursors ${world.ns}`, team: { AR: org.ar.id } });
  const contact = await request(world.app)
    .post(`/accounts/${account.body.id}/contacts`)
    .set(org.manager.auth)
    .send({ name: 'Cursor contact', buyingRole: 'user' });
  expect(contact.status).toBe(201);
  contactId = contact.body.id;
});

afterAll(async () => {
  await world?.stop();
});

/** How a cursor field is written, with a valid sample and forgeries of that kind. */
const KINDS = {
  ts6: {
    sample: '2021-01-01T00:00:00.000000Z',
    forged: ['bogus', '2021-02-31T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', '2021-01-01', 42],
  },
  ts3: {
    sample: '2021-01-01T00:00:00.000Z',
    forged: ['bogus', '2021-02-30T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2021-13-01T00:00:00.000Z', 42],
  },
  uuid: { sample: randomUUID(), forged: ['bogus', `${randomUUID()}\u0000`, 42] },
  text: { sample: 'x', forged: ['a\u0000', '\uD800', 'x'.repeat(201), 42, null] },
  int: { sample: 1, forged: [2 ** 31, -1, 1.5, '1', 1e300] },
  u01: { sample: 1, forged: [2, '1', null] },
  currency: { sample: 'CNY', forged: ['usd', 'bogus', 1] },
  number: { sample: 1, forged: ['1', null] },
  due: { sample: '1', forged: ['abc', '1'.repeat(19), 5] },
} as const;
type Kind = keyof typeof KINDS;

/** The keyset of each list's cursor. */
const SHAPES: Record<string, Record<string, Kind>> = {
  '/deals': { createdAt: 'ts3', id: 'uuid' },
  '/deals/{id}/timeline': { seq: 'int' },
  '/users': { id: 'text' },
  '/users/{id}/tokens': { t: 'ts6', i: 'text' },
  '/me/tasks': { due: 'due', dealId: 'text', role: 'text', userId: 'text' },
  '/me/notifications': { u: 'u01', t: 'ts6', i: 'text' },
  '/webhooks': { t: 'ts6', i: 'text' },
  '/notifications/failed': { t: 'ts6', i: 'text', c: 'text' },
  '/process-definitions': { key: 'text' },
  '/reports/credit': { currency: 'currency', credit: 'number', userId: 'text' },
  '/accounts': { name: 'text', id: 'uuid' },
  '/contacts/{id}/interactions': { at: 'ts3', id: 'int' },
};

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function urlOf(path: string): string {
  return path
    .replace('/deals/{id}', `/deals/${dealId}`)
    .replace('/users/{id}', `/users/${org.ops.id}`)
    .replace('/contacts/{id}', `/contacts/${contactId}`);
}

function sampleOf(shape: Record<string, Kind>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(shape).map(([field, kind]) => [field, KINDS[kind].sample]));
}

/** Forged cursors for a shape: garbage, wrong JSON, each field forged, a field missing, an extra one. */
function forgeries(shape: Record<string, Kind>): { what: string; cursor: string }[] {
  const sample = sampleOf(shape);
  const out = [
    { what: 'not base64url', cursor: 'bogus!' },
    { what: 'not JSON', cursor: Buffer.from('{nope').toString('base64url') },
    { what: 'an array', cursor: encode([]) },
    { what: 'null', cursor: encode(null) },
    { what: 'the issue’s example', cursor: encode({ u: 1, t: 'bogus', i: 'x' }) },
    { what: 'an extra key', cursor: encode({ ...sample, extra: 1 }) },
  ];
  for (const [field, kind] of Object.entries(shape)) {
    const { [field]: _dropped, ...rest } = sample;
    out.push({ what: `no ${field}`, cursor: encode(rest) });
    for (const value of KINDS[kind].forged) {
      out.push({ what: `${field}: ${JSON.stringify(value)}`, cursor: encode({ ...sample, [field]: value }) });
    }
  }
  return out;
}

test('every list answers 400 query.cursor to each forged cursor, and 200 to a well-formed one', async () => {
  const doc = (await request(world.app).get('/openapi.json')).body as {
    paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }>;
  };
  const lists = Object.entries(doc.paths)
    .filter(([, ops]) => ops.get?.parameters?.some((p) => p.in === 'query' && p.name === 'cursor'))
    .map(([path]) => path);
  expect(lists.sort()).toEqual(Object.keys(SHAPES).sort());

  const failures: string[] = [];
  for (const path of lists) {
    const shape = SHAPES[path];
    const ok = await request(world.app)
      .get(urlOf(path))
      .query({ cursor: encode(sampleOf(shape)) })
      .set(org.ops.auth);
    if (ok.status !== 200) failures.push(`${path} well-formed → ${ok.status} ${JSON.stringify(ok.body)}`);
    for (const { what, cursor } of forgeries(shape)) {
      const res = await request(world.app).get(urlOf(path)).query({ cursor }).set(org.ops.auth);
      const paths = (res.body.errors ?? []).map((e: { path: string }) => e.path);
      if (res.status !== 400 || paths.join() !== 'query.cursor') {
        failures.push(`${path} ${what} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
  }
  expect(failures).toEqual([]);
});
