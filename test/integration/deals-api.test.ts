/**
 * The deal endpoints' contract: creation (validation, permissions, idempotency), the list and its
 * filters (from the Postgres projection), detail fields and timeline paging.
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import {
  applyDefinition,
  createOrg,
  createUser,
  eventually,
  startWorld,
  type TestUser,
  type World,
} from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let processKey: string;

const def: ProcessDefinition = {
  key: 'api',
  name: { en: 'API', zh: '接口' },
  stages: [
    {
      key: 'first',
      name: { en: 'First', zh: '第一' },
      gate: 'G1',
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 1 },
    },
    {
      key: 'second',
      name: { en: 'Second', zh: '第二' },
      approvers: ['AR', 'SR'],
      rule: 'all',
      sla: { within: '1s' },
      weights: { AR: 0.5, SR: 0.5 },
    },
  ],
};

function body(over: Record<string, unknown> = {}) {
  return {
    title: 'Smart grid pilot',
    account: { name: 'State Grid Jiangsu', tier: 'strategic' },
    value: { amount: 2_500_000, currency: 'CNY' },
    triangle: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
    process: { key: processKey },
    ...over,
  };
}

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
  processKey = (await applyDefinition(world, def)).key;
});

afterAll(async () => {
  await world?.stop();
});

test('creation answers 201 with the full deal', async () => {
  const res = await api.create(org.manager, body());
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({
    title: 'Smart grid pilot',
    account: { name: 'State Grid Jiangsu', tier: 'strategic' },
    value: { amount: 2_500_000, currency: 'CNY' },
    status: 'active',
    triangle: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
    process: { key: processKey, version: 1 },
    stage: {
      key: 'first',
      name: { en: 'First', zh: '第一' },
      gate: 'G1',
      escalationLevel: 0,
      required: [{ role: 'AR', userIds: [org.ar.id] }],
      signoffs: [],
      waitingOn: [{ role: 'AR', userId: org.ar.id }],
    },
  });
  expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.body.temporalUiUrl).toContain(`/workflows/deal-${res.body.id}`);
  expect(Date.parse(res.body.stage.dueAt) - Date.parse(res.body.stage.enteredAt)).toBe(3_600_000);
});

test('creation refuses bad input with 400 naming the field', async () => {
  const countMine = async () =>
    (await world.sql`select count(*)::int as n from deals where created_by = ${org.manager.id}`)[0]
      .n as number;
  const before = await countMine();
  const cases: [Record<string, unknown>, string][] = [
    [{ triangle: { AR: org.ar.id, SR: 'nobody-at-all', FR: org.fr.id } }, 'body.triangle.SR'],
    [{ value: { amount: -1, currency: 'CNY' } }, 'body.value.amount'],
    [{ value: { amount: 10, currency: 'XXQ' } }, 'body.value.currency'],
    [{ process: { key: 'no-such-process' } }, 'body.process.key'],
    [{ process: { key: processKey, version: 99 } }, 'body.process.version'],
    [{ title: '' }, 'body.title'],
  ];
  for (const [over, path] of cases) {
    const res = await api.create(org.manager, body(over));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  }
  // Nothing was created by the refused requests.
  expect(await countMine()).toBe(before);
});

test('members may create deals only as AR; managers and ops for anyone', async () => {
  expect((await api.create(org.sr, body())).status).toBe(403);
  expect((await api.create(org.ar, body())).status).toBe(201);
  expect((await api.create(org.ops, body())).status).toBe(201);
  expect((await request(world.app).post('/deals').send(body())).status).toBe(401);
});

test('an Idempotency-Key makes a retried creation return the same deal', async () => {
  const key = { 'Idempotency-Key': `crm-${world.ns}` };
  const title = `Idempotent deal ${world.ns}`;
  const first = await api.create(org.manager, body({ title }), key);
  const again = await api.create(org.manager, body({ title }), key);
  expect(first.status).toBe(201);
  expect(again.status).toBe(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body.id).toBe(first.body.id);
  const rows = await world.sql`select count(*)::int as n from deals where title = ${title}`;
  expect(rows[0].n).toBe(1);
});

test('the list filters by stage, status, user, overdue and text, and pages with a cursor', async () => {
  const other: TestUser = await createUser(world, { id: 'list-ar', managerId: org.manager.id });
  const a = (await api.create(org.manager, body({ title: 'Filter alpha', account: { name: 'Alpha Steel' } })))
    .body;
  const b = (
    await api.create(
      org.manager,
      body({ title: 'Filter beta', triangle: { AR: other.id, SR: org.sr.id, FR: org.fr.id } }),
    )
  ).body;
  expect((await api.sign(other, b.id, { stage: 'first' })).status).toBe(200);
  await api.waitFor(org.manager, b.id, { stage: 'second' });
  const list = (q: Record<string, string>) => request(world.app).get('/deals').query(q).set(org.manager.auth);
  // `second` is due after 1 s: until then the deal is not overdue
  await eventually(async () => (await list({ overdue: 'true', q: 'Filter' })).body.items?.length > 0);

  const byStage = await list({ stage: 'second', q: 'Filter' });
  expect(byStage.body.items.map((d: { id: string }) => d.id)).toEqual([b.id]);
  const byUser = await list({ userId: other.id });
  expect(byUser.body.items.map((d: { id: string }) => d.id)).toEqual([b.id]);
  const overdue = await list({ overdue: 'true', q: 'Filter' });
  expect(overdue.body.items.map((d: { id: string }) => d.id)).toEqual([b.id]);
  const byText = await list({ q: 'alpha steel' });
  expect(byText.body.items.map((d: { id: string }) => d.id)).toEqual([a.id]);
  expect((await list({ status: 'completed', q: 'Filter' })).body.items).toEqual([]);
  expect((await list({ status: 'bogus' })).status).toBe(400);

  const page1 = await list({ limit: '1', q: 'Filter' });
  expect(page1.body.items).toHaveLength(1);
  expect(page1.body.nextCursor).toEqual(expect.any(String));
  const page2 = await list({ limit: '1', q: 'Filter', cursor: page1.body.nextCursor });
  expect(page2.body.items).toHaveLength(1);
  expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
  expect((await list({ limit: '201' })).status).toBe(400);
  expect((await list({ cursor: 'not-a-cursor' })).body.errors[0].path).toBe('query.cursor');
});

test('detail and timeline: 404 for unknown, malformed and invisible ids', async () => {
  const deal = (await api.create(org.manager, body())).body;
  const stranger = await createUser(world, { id: 'stranger' });
  for (const [who, id] of [
    [stranger, deal.id],
    [org.ar, '00000000-0000-0000-0000-000000000000'],
    [org.ar, 'not-a-deal'],
  ] as const) {
    const res = await request(world.app).get(`/deals/${id}`).set(who.auth);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain(deal.title);
    expect((await request(world.app).get(`/deals/${id}/timeline`).set(who.auth)).status).toBe(404);
  }
  const timeline = await request(world.app)
    .get(`/deals/${deal.id}/timeline`)
    .query({ limit: 1 })
    .set(org.ar.auth);
  expect(timeline.body.items).toEqual([
    expect.objectContaining({ seq: 1, type: 'deal.created', actorId: org.manager.id, onBehalfOfId: null }),
  ]);
  const rest = await request(world.app)
    .get(`/deals/${deal.id}/timeline`)
    .query({ cursor: timeline.body.nextCursor })
    .set(org.ar.auth);
  expect(rest.body.items[0]).toMatchObject({ seq: 2, type: 'stage.entered', stage: 'first' });
});
