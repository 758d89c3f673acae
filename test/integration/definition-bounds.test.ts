/**
 * A definition beyond a limit, with text Postgres cannot store, or with thresholds that do not name
 * their currency is refused by validate and apply with 400 and the path of the field; nothing is
 * stored.
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { BEYOND_LIMITS, type DefinitionChange, many } from '../definition-limits';
import { stage } from './support/process';
import { createOrg, startWorld, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
});

afterAll(async () => {
  await world?.stop();
});

const sdt = () => `group:sdt-${world.ns}` as const;

function base(): ProcessDefinition {
  return {
    key: `bounds-${world.ns}`,
    name: { en: 'Bounds', zh: '边界' },
    stages: [stage('first', { sla: { within: '1d', escalate: [{ after: '0s', notify: ['manager'] }] } })],
  };
}

/** A definition with one change, as JSON (so shapes the types forbid can be sent). */
function changed(change: DefinitionChange): unknown {
  const d = JSON.parse(JSON.stringify(base()));
  change(d);
  return d;
}

const CASES: [string, DefinitionChange, string, RegExp][] = [
  ...BEYOND_LIMITS,
  ['a NUL in a name', (d) => (d.stages[0].name.zh = 'a\u0000'), 'stages[0].name.zh', /NUL/],
  ['a lone surrogate in the key', (d) => (d.key = '\uD800'), 'key', /surrogate/],
  [
    'a legacy bare-number threshold',
    (d) => (d.stages[0].when = [{ if: { valueAtLeast: 5000000 }, add: ['manager'] }]),
    'stages[0].when[0].if.valueAtLeast',
    /must name its currency: write \{ amount: 5000000, currency: CNY \}/,
  ],
  [
    'a listed currency with no threshold',
    (d) => {
      d.currencies = ['CNY', 'USD'];
      d.stages[0].when = [{ if: { valueAtLeast: { amount: 1, currency: 'CNY' } }, add: ['manager'] }];
    },
    'stages[0].when',
    /no value condition in USD/,
  ],
  [
    'a pair of one role',
    (d) => (d.separationOfDuties = { allowSamePerson: [['SR', 'SR']] }),
    'separationOfDuties.allowSamePerson[0]',
    /two different roles/,
  ],
];

test.each(CASES)('%s → 400 at its path on validate and on apply', async (_what, change, path, message) => {
  const definition = changed(change);
  for (const url of ['/process-definitions/validate', '/process-definitions']) {
    const res = await request(world.app)
      .post(url)
      .set(org.ops.auth)
      .send(definition as object);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  }
  const stored = await request(world.app).get(`/process-definitions/bounds-${world.ns}`).set(org.ops.auth);
  expect(stored.status).toBe(404);
});

test('a YAML body of deeply nested brackets is a 400 at the document, and the API keeps answering', async () => {
  const n = 400_000;
  const res = await request(world.app)
    .post('/process-definitions/validate')
    .set(org.ar.auth)
    .set('Content-Type', 'application/yaml')
    .send(`key: ${'['.repeat(n)}${']'.repeat(n)}`);
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ path: '', message: 'invalid YAML: nested deeper than 64 levels' }]);
  expect((await request(world.app).get('/healthz')).status).toBe(200);
});

test('at the limits, with currencies and a relaxed separation, the definition applies', async () => {
  const definition = changed((d) => {
    d.key = `bounds-ok-${world.ns}`; // a key of its own: the refusals check that theirs stays unstored
    d.currencies = ['CNY'];
    d.separationOfDuties = { allowSamePerson: [['SR', 'FR']] };
    d.stages = many(50, (i) => stage(`s${i}`, { sla: { within: '365d' } }));
    d.stages[0].sla.remind = many(10, (i) => `${10 - i}h`);
    d.stages[0].sla.escalate = many(10, (i) => ({ after: `${i}d`, notify: [sdt()] }));
    d.stages[0].when = many(20, (i) => ({
      if: { valueAtLeast: { amount: i, currency: 'CNY' } },
      add: ['manager'],
    }));
  });
  const res = await request(world.app)
    .post('/process-definitions')
    .set(org.ops.auth)
    .send(definition as object);
  expect(res.status).toBe(201);
});
