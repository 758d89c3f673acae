import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { applyDefinition, createOrg, eventually, startWorld, type World } from './support/world';

/** Three stages with second-scale SLAs: quick to walk through on the real servers. */
const threeStages: ProcessDefinition = {
  key: 'flow',
  name: { en: 'Flow', zh: '流程' },
  stages: [
    {
      key: 'lead',
      name: { en: 'Lead', zh: '线索' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 1 },
      onReject: 'lost',
    },
    {
      key: 'atb',
      name: { en: 'Bid decision', zh: '投标决策' },
      gate: 'ATB',
      approvers: ['AR', 'SR', 'FR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 0.4, SR: 0.4, FR: 0.2 },
      onReject: 'lead',
    },
    {
      key: 'close',
      name: { en: 'Close', zh: '关闭' },
      approvers: ['AR', 'FR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 0.5, FR: 0.5 },
    },
  ],
};

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let processKey: string;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  processKey = (await applyDefinition(world, threeStages)).key;
});

afterAll(async () => {
  await world?.stop();
});

async function createDeal(amount = 1000) {
  const res = await request(world.app)
    .post('/deals')
    .set(org.manager.auth)
    .send({
      title: 'Metro rail signalling',
      account: { name: 'Shenzhen Metro' },
      value: { amount, currency: 'CNY' },
      triangle: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
      process: { key: processKey },
    });
  expect(res.status).toBe(201);
  return res.body;
}

test('a deal starts as a real workflow and its effects are read from Postgres', async () => {
  const deal = await createDeal();
  expect(deal.stage.key).toBe('lead');
  expect(deal.stage.waitingOn).toEqual([{ role: 'AR', userId: org.ar.id }]);

  const signed = await request(world.app)
    .post(`/deals/${deal.id}/signoffs`)
    .set(org.ar.auth)
    .send({ stage: 'lead', decision: 'approve', comment: 'qualified' });
  expect(signed.status).toBe(200);

  const detail = await eventually(async () => {
    const r = await request(world.app).get(`/deals/${deal.id}`).set(org.ar.auth);
    return r.body.stage?.key === 'atb' ? r.body : undefined;
  });
  expect(detail.stage.required.map((r: { role: string }) => r.role)).toEqual(['AR', 'SR', 'FR']);

  const timeline = await request(world.app).get(`/deals/${deal.id}/timeline`).set(org.ar.auth);
  expect(timeline.status).toBe(200);
  expect(timeline.body.items.map((e: { type: string }) => e.type)).toEqual([
    'deal.created',
    'stage.entered',
    'signoff.approved',
    'stage.completed',
    'stage.entered',
  ]);
  expect(timeline.body.items[2]).toMatchObject({
    stage: 'lead',
    actorId: org.ar.id,
    data: { role: 'AR', comment: 'qualified' },
  });
});

test('read-your-writes: the sign-off is in the answer and the timeline at once', async () => {
  const deal = await createDeal();
  const first = await request(world.app)
    .post(`/deals/${deal.id}/signoffs`)
    .set(org.ar.auth)
    .send({ stage: 'lead', decision: 'approve' });
  expect(first.status).toBe(200);
  await eventually(async () => {
    const r = await request(world.app).get(`/deals/${deal.id}`).set(org.ar.auth);
    return r.body.stage?.key === 'atb';
  });
  const res = await request(world.app)
    .post(`/deals/${deal.id}/signoffs`)
    .set(org.sr.auth)
    .send({ stage: 'atb', decision: 'approve' });
  expect(res.status).toBe(200);
  expect(res.body.stage.signoffs).toEqual([
    expect.objectContaining({ role: 'SR', userId: org.sr.id, decision: 'approve' }),
  ]);
  expect(res.body.stage.waitingOn.map((w: { role: string }) => w.role).sort()).toEqual(['AR', 'FR']);
  const rows =
    await world.sql`select role, decision from signoffs where deal_id = ${deal.id} and stage_key = 'atb'`;
  expect(rows).toEqual([{ role: 'SR', decision: 'approve' }]);
  // The timeline and the detail show it at once, with no waiting.
  const timeline = await request(world.app).get(`/deals/${deal.id}/timeline`).set(org.sr.auth);
  const last = timeline.body.items[timeline.body.items.length - 1];
  expect(last).toMatchObject({
    type: 'signoff.approved',
    stage: 'atb',
    actorId: org.sr.id,
    data: { role: 'SR' },
  });
  const detail = await request(world.app).get(`/deals/${deal.id}`).set(org.sr.auth);
  expect(detail.body.stage.signoffs.map((x: { role: string }) => x.role)).toEqual(['SR']);
});
