/**
 * Seamless stage boundaries: the sign-off that decides a stage answers with the deal already in its
 * next stage, and a sign-off for that next stage, sent with no pause, is accepted.
 */
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import { soloStage, stage } from './support/process';
import { applyDefinition, createOrg, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let key: string;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
  const def: ProcessDefinition = {
    key: 'boundaries',
    name: { en: 'Boundaries', zh: '边界' },
    stages: [
      soloStage('lead'),
      stage('ati', { gate: 'ATI', onReject: 'lead' }),
      soloStage('close', { approvers: ['FR'], weights: { FR: 1 } }),
    ],
  };
  key = (await applyDefinition(world, def)).key;
});

afterAll(async () => {
  await world?.stop();
});

async function newDeal() {
  const res = await api.createOn(org.manager, key, triangleOf(org), { title: `Boundary ${world.ns}` });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

test('the sign-off that decides a stage answers with the next stage, its signers and the timeline', async () => {
  const id = await newDeal();
  const res = await api.sign(org.ar, id, { stage: 'lead' });
  expect(res.status).toBe(200);
  expect(res.body.stage).toMatchObject({ key: 'ati', visit: 1, signoffs: [] });
  expect(res.body.stage.waitingOn).toEqual([
    { role: 'AR', userId: org.ar.id },
    { role: 'SR', userId: org.sr.id },
    { role: 'FR', userId: org.fr.id },
  ]);
  // Already readable: the sign-off, the exit and the next entry, in order.
  const types = (await api.timeline(org.ar, id)).map((e) => `${e.type}:${e.stage}`);
  expect(types).toEqual([
    'deal.created:null',
    'stage.entered:lead',
    'signoff.approved:lead',
    'stage.completed:lead',
    'stage.entered:ati',
  ]);
  expect((await api.get(org.ar, id)).body.stage.key).toBe('ati');
});

test('a next-stage sign-off sent with no pause is accepted; one naming the stage just left gets 409 naming the current one', async () => {
  const id = await newDeal();
  expect((await api.sign(org.ar, id, { stage: 'lead' })).status).toBe(200);
  // No waiting: straight on with the next stage.
  expect((await api.sign(org.ar, id, { stage: 'ati' })).status).toBe(200);
  const stale = await api.sign(org.ar, id, { stage: 'lead' });
  expect(stale.status).toBe(409);
  expect(stale.body).toMatchObject({ code: 'stale_stage' });
  expect(stale.body.detail).toContain('ati');
  expect((await api.sign(org.sr, id, { stage: 'ati' })).status).toBe(200);
  const last = await api.sign(org.fr, id, { stage: 'ati' });
  expect(last.status).toBe(200);
  expect(last.body.stage).toMatchObject({ key: 'close', waitingOn: [{ role: 'FR', userId: org.fr.id }] });
  const done = await api.sign(org.fr, id, { stage: 'close' });
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ status: 'completed', stage: null });
});

test('sign-offs racing across a boundary: every one is either applied or refused for its own reason, never for a move in flight', async () => {
  const id = await newDeal();
  // The AR signs lead and, at the same moment, everyone signs ATI.
  const results = await Promise.all([
    api.sign(org.ar, id, { stage: 'lead' }),
    api.sign(org.sr, id, { stage: 'ati' }),
    api.sign(org.fr, id, { stage: 'ati' }),
  ]);
  expect(results[0].status).toBe(200);
  for (const r of results.slice(1)) {
    // Sent before the deal reached ATI, they are refused as stale (naming the stage the deal is at).
    if (r.status !== 200) {
      expect(r.status).toBe(409);
      expect(r.body.detail).not.toMatch(/moving to its next stage/);
    }
  }
  const deal = (await api.get(org.ar, id)).body;
  expect(deal.stage.key).toBe('ati');
});

test('a rejection that sends the deal back answers with the earlier stage entered again', async () => {
  const id = await newDeal();
  await api.sign(org.ar, id, { stage: 'lead' });
  const res = await api.sign(org.sr, id, { stage: 'ati', decision: 'reject', comment: 'needs requalifying' });
  expect(res.status).toBe(200);
  expect(res.body.stage).toMatchObject({
    key: 'lead',
    visit: 2,
    waitingOn: [{ role: 'AR', userId: org.ar.id }],
  });
});

test('an amend that removes the last pending approver moves the deal on in its answer', async () => {
  const def: ProcessDefinition = {
    key: 'amend-moves',
    name: { en: 'Amend moves', zh: '修改推进' },
    stages: [
      soloStage('gate', {
        when: [{ if: { valueAtLeast: { amount: 5_000_000, currency: 'CNY' } }, add: ['manager'] }],
      }),
      soloStage('after'),
    ],
  };
  const k = (await applyDefinition(world, def)).key;
  const created = await api.createOn(org.manager, k, triangleOf(org), {
    value: { amount: 6_000_000, currency: 'CNY' },
  });
  const id = created.body.id as string;
  expect((await api.sign(org.ar, id, { stage: 'gate' })).status).toBe(200);
  // Only the manager is left. Amending below the threshold drops their pending approval: the manager
  // may not remove their own, a manager above them may.
  const own = await api.amend(org.manager, id, { amount: 1_000_000, currency: 'CNY' });
  expect(own.status).toBe(403);
  expect(own.body).toMatchObject({ code: 'forbidden' });
  const amended = await api.amend(org.director, id, { amount: 1_000_000, currency: 'CNY' });
  expect(amended.status).toBe(200);
  expect(amended.body.stage).toMatchObject({ key: 'after' });
});
