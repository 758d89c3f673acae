/**
 * Refuse at the door what the store cannot hold: NUL, unpaired surrogates and amounts beyond the
 * column answer 400 naming the field, and the deal they were aimed at keeps taking sign-offs,
 * holds and cancels.
 */
import request from 'supertest';
import { dealApi } from './support/api';
import { soloStage } from './support/process';
import { applyDefinition, createOrg, createUser, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let processKey: string;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
  processKey = (
    await applyDefinition(world, {
      key: 'door',
      name: { en: 'Door', zh: '门' },
      stages: [soloStage('first', { onReject: 'first' }), soloStage('second')],
    })
  ).key;
});

afterAll(async () => {
  await world?.stop();
});

async function newDeal(): Promise<string> {
  const res = await api.createOn(org.manager, processKey, triangleOf(org), {
    value: { amount: 1000, currency: 'CNY' },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The 400 problem's field paths. */
function paths(res: request.Response): string[] {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.body.errors.map((e: { path: string }) => e.path);
}

/** The deal still answers: a sign-off moves it on, a hold and a resume work, and a cancel ends it. */
async function stillUsable(id: string) {
  const signed = await api.sign(org.ar, id, { stage: 'first' });
  expect(signed.status).toBe(200);
  await api.waitFor(org.ar, id, { stage: 'second' });
  expect((await api.command(org.manager, id, 'hold', { reason: 'customer asked to pause' })).status).toBe(
    200,
  );
  expect((await api.command(org.manager, id, 'resume')).status).toBe(200);
  const cancelled = await api.command(org.manager, id, 'cancel', { reason: 'budget withdrawn' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
}

test('a NUL comment on a sign-off, a NUL reason on hold, cancel and reassign: 400 by field, the deal carries on', async () => {
  const id = await newDeal();
  for (const comment of ['x\u0000y', 'lone \uD800 surrogate', '\uDC00']) {
    const res = await api.sign(org.ar, id, { stage: 'first', decision: 'reject', comment });
    expect(paths(res)).toEqual(['body.comment']);
  }
  expect(paths(await api.command(org.manager, id, 'hold', { reason: 'x\u0000y' }))).toEqual(['body.reason']);
  expect(paths(await api.command(org.manager, id, 'cancel', { reason: 'x\u0000y' }))).toEqual([
    'body.reason',
  ]);
  const reassign = await api.command(org.manager, id, 'reassign', {
    role: 'SR',
    userId: org.sdt.id,
    reason: '\uD800',
  });
  expect(paths(reassign)).toEqual(['body.reason']);
  // A rejection with a storable comment still goes through and loops the stage back to itself.
  const rejected = await api.sign(org.ar, id, {
    stage: 'first',
    decision: 'reject',
    comment: '退回 😀 fine',
  });
  expect(rejected.status).toBe(200);
  await api.waitFor(org.ar, id, { stage: 'first', visit: 2 });
  await stillUsable(id);
});

test('amounts beyond numeric(20,2) and a double’s exact cents, or with three decimals: 400 body.value.amount', async () => {
  for (const amount of [1e18, 10_000_000_000_000, 1.005, -1]) {
    const created = await api.createOn(org.manager, processKey, triangleOf(org), {
      value: { amount, currency: 'CNY' },
    });
    expect(paths(created)).toEqual(['body.value.amount']);
  }
  const id = await newDeal();
  for (const amount of [1e18, 10_000_000_000_000, 0.001]) {
    expect(paths(await api.amend(org.manager, id, { amount, currency: 'CNY' }))).toEqual([
      'body.value.amount',
    ]);
  }
  const largest = await api.amend(org.manager, id, { amount: 9_999_999_999_999.99, currency: 'CNY' });
  expect(largest.status).toBe(200);
  expect(largest.body.value.amount).toBe(9_999_999_999_999.99);
  await stillUsable(id);
});

test('unstorable text in a title, an account, a query, user and webhook fields: 400 by field', async () => {
  const create = (over: Record<string, unknown>) =>
    api.createOn(org.manager, processKey, triangleOf(org), over);
  expect(paths(await create({ title: 'Grid \uD800 pilot' }))).toEqual(['body.title']);
  expect(paths(await create({ title: 'Grid\u0000' }))).toEqual(['body.title']);
  expect(paths(await create({ account: { name: 'Acme', tier: '\uDFFF' } }))).toEqual(['body.account.tier']);
  expect(paths(await create({ triangle: { ...triangleOf(org), FR: 'fr\u0000' } }))).toEqual([
    'body.triangle.FR',
  ]);

  const list = await request(world.app).get('/deals').query({ q: 'a\u0000' }).set(org.manager.auth);
  expect(paths(list)).toEqual(['query.q']);

  const admin = await createUser(world, { id: 'door-admin', roles: ['admin'] });
  const user = await request(world.app)
    .post('/users')
    .set(admin.auth)
    .send({ name: 'Lone \uD83D', email: 'lone@example.test', roles: ['member'] });
  expect(paths(user)).toEqual(['body.name']);
  const delegation = await request(world.app)
    .put('/users/me/delegation')
    .set(org.ar.auth)
    .send({ delegateId: `${org.sr.id}\u0000`, from: '2030-01-01T00:00:00Z', until: '2030-01-02T00:00:00Z' });
  expect(paths(delegation)).toEqual(['body.delegateId']);
  const webhook = await request(world.app)
    .post('/webhooks')
    .set(org.ops.auth)
    .send({ url: 'https://hooks.example.test/a\u0000b', format: 'generic', secret: 's\uD800' });
  expect(paths(webhook).sort()).toEqual(['body.secret', 'body.url']);
});

test('date-times Postgres cannot parse (year 0, year 10000 in UTC) are 400 by field, not a database error', async () => {
  const sla = await request(world.app)
    .get('/reports/sla')
    .query({ from: '0000-01-01' })
    .set(org.manager.auth);
  expect(paths(sla)).toEqual(['query.from']);
  const late = await request(world.app)
    .get('/reports/sla')
    .query({ to: '9999-12-31T23:00:00-05:00' })
    .set(org.manager.auth);
  expect(paths(late)).toEqual(['query.to']);
  const delegation = await request(world.app)
    .put('/users/me/delegation')
    .set(org.ar.auth)
    .send({ delegateId: org.sr.id, from: '0000-06-01T00:00:00Z', until: '2030-01-02T00:00:00Z' });
  expect(paths(delegation)).toEqual(['body.from']);
});

test('a path id Postgres cannot hold names nothing: 404', async () => {
  for (const url of ['/deals/a%00b', '/users/a%00b/tokens', '/process-definitions/a%00b']) {
    const res = await request(world.app).get(url).set(org.ops.auth);
    expect(res.status).toBe(404);
  }
});
