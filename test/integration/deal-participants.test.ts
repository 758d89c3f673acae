/**
 * Approvers beyond the triangle: members of an approver group see and sign the deal; an approver
 * nobody fills (an AR without a manager) falls to ops instead of stalling the deal.
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import { applyDefinition, createOrg, createUser, startWorld, triangleOf, type World } from './support/world';

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

test('a member of an approver group sees the deal and signs for the group', async () => {
  const group = `bid-board-${world.ns}`;
  const member = await createUser(world, { id: 'board-member', groups: [group] });
  const other = await createUser(world, { id: 'board-other', groups: [group] });
  const stranger = await createUser(world, { id: 'not-on-board' });
  const def: ProcessDefinition = {
    key: 'group',
    name: { en: 'Group', zh: '小组' },
    stages: [
      {
        key: 'board',
        name: { en: 'Board', zh: '委员会' },
        approvers: ['AR', `group:${group}`],
        rule: 'all',
        sla: { within: '1h' },
        weights: { AR: 1 },
      },
      {
        key: 'after',
        name: { en: 'After', zh: '之后' },
        approvers: ['AR'],
        rule: 'all',
        sla: { within: '1h' },
        weights: { AR: 1 },
      },
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const created = await api.createOn(org.manager, key, triangleOf(org), { title: 'Board deal' });
  const id = created.body.id as string;
  expect(created.body.stage.required).toEqual([
    { role: 'AR', userIds: [org.ar.id] },
    { role: `group:${group}`, userIds: [member.id, other.id].sort() },
  ]);
  expect((await api.get(member, id)).status).toBe(200);
  expect((await api.get(stranger, id)).status).toBe(404);
  const tasks = await request(world.app).get('/me/tasks').set(member.auth);
  expect(tasks.body.items.map((t: { dealId: string; role: string }) => [t.dealId, t.role])).toContainEqual([
    id,
    `group:${group}`,
  ]);
  const signed = await api.sign(member, id, { stage: 'board' });
  expect(signed.status).toBe(200);
  expect(signed.body.stage.signoffs).toEqual([
    expect.objectContaining({ role: `group:${group}`, userId: member.id, decision: 'approve' }),
  ]);
  // One member counts for the group: the other can no longer sign it.
  expect((await api.sign(other, id, { stage: 'board' })).status).toBe(409);
  expect((await api.sign(org.ar, id, { stage: 'board' })).status).toBe(200);
  await api.waitFor(org.ar, id, { stage: 'after' });
  // Having been asked to sign, the group's members keep seeing the deal; someone who joins the
  // group later was never asked, and does not.
  expect((await api.get(member, id)).status).toBe(200);
  const later = await createUser(world, { id: 'board-later', groups: [group] });
  expect((await api.get(later, id)).status).toBe(404);
  const listed = await request(world.app).get('/deals').set(member.auth);
  expect(listed.body.items.map((d: { id: string }) => d.id)).toContain(id);
});

test('an approver nobody fills falls to ops, recorded on entry, instead of stalling', async () => {
  const loneAr = await createUser(world, { id: 'lone-ar' }); // no manager
  const def: ProcessDefinition = {
    key: 'standin',
    name: { en: 'Stand-in', zh: '代签' },
    stages: [
      {
        key: 'gate',
        name: { en: 'Gate', zh: '关口' },
        approvers: ['AR', 'manager'],
        rule: 'all',
        sla: { within: '1h' },
        weights: { AR: 1 },
      },
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const created = await api.createOn(
    org.ops,
    key,
    { ...triangleOf(org), AR: loneAr.id },
    { title: 'Orphan deal' },
  );
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const manager = created.body.stage.required.find((r: { role: string }) => r.role === 'manager');
  expect(manager.userIds).toContain(org.ops.id);
  const events = await api.timeline(org.ops, id);
  const entered = events.find((e) => e.type === 'stage.entered')!;
  expect(entered.data.opsStandIn).toEqual(['manager']);
  expect((await api.sign(org.ops, id, { stage: 'gate', role: 'manager' })).status).toBe(200);
  expect((await api.sign(loneAr, id, { stage: 'gate' })).status).toBe(200);
  await api.waitFor(org.ops, id, { status: 'completed' });
});

test('a manager who signed as a group member sees the deal but may not manage it', async () => {
  const group = `sdt-${world.ns}`; // org.sdt is a manager in this group, outside the team's line
  const def: ProcessDefinition = {
    key: 'sdt-sign',
    name: { en: 'SDT', zh: '决策团队' },
    stages: [
      {
        key: 'gate',
        name: { en: 'Gate', zh: '关口' },
        approvers: ['AR', `group:${group}`],
        rule: 'all',
        sla: { within: '1h' },
        weights: { AR: 1 },
      },
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const created = await api.createOn(org.manager, key, triangleOf(org), { title: 'SDT deal' });
  const id = created.body.id as string;
  expect((await api.sign(org.sdt, id, { stage: 'gate' })).status).toBe(200);
  expect((await api.get(org.sdt, id)).status).toBe(200);
  expect((await api.command(org.sdt, id, 'hold', { reason: 'mine now?' })).status).toBe(403);
  expect((await api.command(org.sdt, id, 'cancel', { reason: 'no' })).status).toBe(403);
  // The team's own manager may.
  expect((await api.command(org.manager, id, 'hold', { reason: 'budget freeze' })).status).toBe(200);
});

test('an Idempotency-Key is scoped to its caller and command', async () => {
  const def: ProcessDefinition = {
    key: 'idem-scope',
    name: { en: 'Idem', zh: '幂等' },
    stages: [
      {
        key: 'gate',
        name: { en: 'Gate', zh: '关口' },
        approvers: ['AR', 'SR'],
        rule: 'all',
        sla: { within: '1h' },
        weights: { AR: 0.5, SR: 0.5 },
      },
      {
        key: 'next',
        name: { en: 'Next', zh: '下一步' },
        approvers: ['AR'],
        rule: 'all',
        sla: { within: '1h' },
        weights: { AR: 1 },
      },
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const created = await api.createOn(org.manager, key, triangleOf(org), { title: 'Shared key' });
  const id = created.body.id as string;
  const shared = { 'Idempotency-Key': `same-${world.ns}` };
  expect((await api.sign(org.ar, id, { stage: 'gate' }, shared)).status).toBe(200);
  expect((await api.sign(org.sr, id, { stage: 'gate' }, shared)).status).toBe(200);
  const rows = await world.sql`select role from signoffs where deal_id = ${id} order by role`;
  expect(rows).toEqual([{ role: 'AR' }, { role: 'SR' }]);
  await api.waitFor(org.ar, id, { stage: 'next' });
  const held = await request(world.app)
    .post(`/deals/${id}/hold`)
    .set(org.manager.auth)
    .set(shared)
    .send({ reason: 'x' });
  expect(held.body.status).toBe('on_hold');
  const resumed = await request(world.app)
    .post(`/deals/${id}/resume`)
    .set(org.manager.auth)
    .set(shared)
    .send({});
  expect(resumed.body.status).toBe('active');
});
