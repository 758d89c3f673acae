/**
 * A triangle is three people: nobody signs two roles of one stage visit, in their own name or as a
 * delegate; a reassignment never gives one person two roles; an amend removes a pending approver
 * only with authority over them.
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import { soloStage, stage } from './support/process';
import { applyDefinition, createOrg, eventually, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
});

afterAll(async () => {
  await world?.stop();
});

const gate = (over: Partial<ProcessDefinition> = {}): ProcessDefinition => ({
  key: 'sod',
  name: { en: 'Separation', zh: '职责分离' },
  stages: [
    stage('ati', {
      gate: 'ATI',
      when: [{ if: { valueAtLeast: { amount: 5_000_000, currency: 'CNY' } }, add: ['manager'] }],
    }),
    soloStage('after'),
  ],
  ...over,
});

test('an AR who is the delegate of their own manager signs AR, and is refused the manager’s approval (403)', async () => {
  const key = (await applyDefinition(world, gate())).key;
  const created = await api.createOn(org.manager, key, triangleOf(org), {
    value: { amount: 6_000_000, currency: 'CNY' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const now = Date.now();
  const delegated = await request(world.app)
    .put('/users/me/delegation')
    .set(org.manager.auth)
    .send({
      delegateId: org.ar.id,
      from: new Date(now - 60_000).toISOString(),
      until: new Date(now + 3_600_000).toISOString(),
    });
  expect(delegated.status).toBe(200);
  expect((await api.sign(org.ar, id, { stage: 'ati', role: 'AR' })).status).toBe(200);
  const second = await api.sign(org.ar, id, { stage: 'ati', role: 'manager' });
  expect(second.status).toBe(403);
  expect(second.body).toMatchObject({ code: 'separation_of_duties' });
  // The manager signs for themselves; the others sign their own roles.
  expect((await api.sign(org.manager, id, { stage: 'ati', role: 'manager' })).status).toBe(200);
  expect((await api.sign(org.sr, id, { stage: 'ati' })).status).toBe(200);
  const last = await api.sign(org.fr, id, { stage: 'ati' });
  expect(last.body.stage.key).toBe('after');
  await request(world.app).delete('/users/me/delegation').set(org.manager.auth);
});

test('a process allowing SR and FR to be one person lets them hold and sign both; other pairs stay apart', async () => {
  const key = (
    await applyDefinition(world, gate({ separationOfDuties: { allowSamePerson: [['SR', 'FR']] } }))
  ).key;
  const created = await api.createOn(
    org.manager,
    key,
    { AR: org.ar.id, SR: org.sr.id, FR: org.sr.id },
    { value: { amount: 1000, currency: 'CNY' } },
  );
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await api.sign(org.sr, id, { stage: 'ati', role: 'SR' })).status).toBe(200);
  expect((await api.sign(org.sr, id, { stage: 'ati', role: 'FR' })).status).toBe(200);
  // AR and SR stay apart: giving the AR role to the SR holder is refused, naming the field.
  const conflict = await api.command(org.manager, id, 'reassign', {
    role: 'AR',
    userId: org.sr.id,
    reason: 'consolidate',
  });
  expect(conflict.status).toBe(409);
  expect(conflict.body).toMatchObject({ code: 'triangle_conflict' });
  expect(conflict.body.errors).toEqual([expect.objectContaining({ path: 'body.userId' })]);
});

test('a reassignment that would give one person two roles is refused with 409 naming body.userId', async () => {
  const key = (await applyDefinition(world, gate())).key;
  const id = (
    await api.createOn(org.manager, key, triangleOf(org), { value: { amount: 1000, currency: 'CNY' } })
  ).body.id as string;
  const res = await api.command(org.manager, id, 'reassign', {
    role: 'FR',
    userId: org.sr.id,
    reason: 'cover',
  });
  expect(res.status).toBe(409);
  expect(res.body).toMatchObject({ code: 'triangle_conflict' });
  expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.userId' })]);
  const deal = (await api.get(org.manager, id)).body;
  expect(deal.triangle.FR).toBe(org.fr.id);
});

test('an amend removing a pending approver: refused to that approver, allowed to a manager above them, recorded and told', async () => {
  const key = (await applyDefinition(world, gate())).key;
  const id = (
    await api.createOn(org.manager, key, triangleOf(org), { value: { amount: 6_000_000, currency: 'CNY' } })
  ).body.id as string;
  const refused = await api.amend(org.manager, id, { amount: 100, currency: 'CNY' });
  expect(refused.status).toBe(403);
  const ok = await api.amend(org.director, id, { amount: 100, currency: 'CNY' });
  expect(ok.status).toBe(200);
  expect(ok.body.stage.required.map((r: { role: string }) => r.role)).toEqual(['AR', 'SR', 'FR']);
  const amended = (await api.timeline(org.director, id)).find((e) => e.type === 'deal.amended')!;
  expect(amended.data).toMatchObject({
    removedApprovers: ['manager'],
    removedUnsigned: [{ approver: 'manager', userIds: [org.manager.id] }],
  });
  // The removed approver hears of it.
  await eventually(async () => {
    const rows = await world.sql`
      select 1 from notifications where deal_id = ${id} and user_id = ${org.manager.id} and event = 'deal.amended'`;
    return rows.length > 0;
  });
});
