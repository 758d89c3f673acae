/**
 * A deactivated user (`PATCH /users/:id {"active": false}`) is nobody's approver: a deal entering
 * a stage does not ask a deactivated manager (the approval falls to the ops stand-in) nor a
 * deactivated member of an approver group. Reactivated, they are asked again.
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import { stage } from './support/process';
import {
  applyDefinition,
  createOrg,
  createUser,
  startWorld,
  type TestUser,
  triangleOf,
  type World,
} from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let admin: TestUser;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  admin = await createUser(world, { id: 'deact-admin', roles: ['admin'] });
  api = dealApi(world);
});

afterAll(async () => {
  await world?.stop();
});

const setActive = async (id: string, active: boolean) => {
  const res = await request(world.app).patch(`/users/${id}`).set(admin.auth).send({ active });
  expect(res.status).toBe(200);
};

test('a deactivated manager or group member is not resolved as a required approver', async () => {
  const group = `deact-board-${world.ns}`;
  const member = await createUser(world, { id: 'deact-member', groups: [group] });
  const gone = await createUser(world, { id: 'deact-gone', groups: [group] });
  const def: ProcessDefinition = {
    key: 'deact',
    name: { en: 'Deactivated approvers', zh: '停用的审批人' },
    stages: [stage('gate', { approvers: ['AR', 'manager', `group:${group}`], weights: { AR: 1 } })],
  };
  const key = (await applyDefinition(world, def)).key;
  await setActive(org.manager.id, false);
  await setActive(gone.id, false);

  const created = await api.createOn(org.ops, key, triangleOf(org), { title: 'Deactivated approvers' });
  expect(created.status).toBe(201);
  const required = Object.fromEntries(
    (created.body.stage.required as { role: string; userIds: string[] }[]).map((r) => [r.role, r.userIds]),
  );
  expect(required.AR).toEqual([org.ar.id]);
  expect(required.manager).not.toContain(org.manager.id);
  expect(required.manager).toContain(org.ops.id); // the ops stand-in
  expect(required[`group:${group}`]).toEqual([member.id]);

  // Reactivated, both are asked again on the next deal.
  await setActive(org.manager.id, true);
  await setActive(gone.id, true);
  const again = await api.createOn(org.ops, key, triangleOf(org), { title: 'Reactivated approvers' });
  const requiredAgain = Object.fromEntries(
    (again.body.stage.required as { role: string; userIds: string[] }[]).map((r) => [r.role, r.userIds]),
  );
  expect(requiredAgain.manager).toEqual([org.manager.id]);
  expect(requiredAgain[`group:${group}`]).toEqual([member.id, gone.id].sort());
});
