/**
 * Accounts: the account has a home of its own (team, deals, role history), the customer's decision
 * chain lives on it, deals name it by id or find it by name, and it is visible only as deals are.
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealApi } from './support/api';
import {
  applyDefinition,
  createOrg,
  createUser,
  startWorld,
  type TestUser,
  type World,
} from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let processKey: string;

const def: ProcessDefinition = {
  key: 'accounts',
  name: { en: 'Accounts', zh: '客户' },
  stages: [
    {
      key: 'only',
      name: { en: 'Only', zh: '唯一' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 1 },
    },
  ],
};

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
  processKey = (await applyDefinition(world, def)).key;
});

afterAll(async () => {
  await world?.stop();
});

const name = (s: string) => `${s} ${world.ns}`;
const post = (as: TestUser, path: string, body: object) =>
  request(world.app).post(path).set(as.auth).send(body);
const get = (as: TestUser, path: string) => request(world.app).get(path).set(as.auth);

test('an account with its team, contacts, decision chain, deals and role history', async () => {
  const created = await post(org.manager, '/accounts', {
    name: name('China Mobile Guangdong'),
    tier: 'strategic',
    industry: 'Telecom',
    region: 'South',
    team: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect(created.body).toMatchObject({
    tier: 'strategic',
    team: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
  });

  const boss = await post(org.ar, `/accounts/${id}/contacts`, {
    name: 'Director Wu',
    title: 'CTO',
    department: 'Network',
    buyingRole: 'decision_maker',
    stance: 'supporter',
    influence: 5,
    ownerId: org.ar.id,
  });
  expect(boss.status).toBe(201);
  const buyer = await post(org.sr, `/accounts/${id}/contacts`, { name: 'Ms Lin', buyingRole: 'buyer' });
  expect(buyer.status).toBe(201);
  expect(buyer.body).toMatchObject({ stance: 'unknown', influence: 3, ownerId: null });
  const patched = await request(world.app)
    .patch(`/contacts/${buyer.body.id}`)
    .set(org.sr.auth)
    .send({ stance: 'opponent', influence: 4 });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ stance: 'opponent', influence: 4 });

  const logged = await post(org.ar, `/contacts/${boss.body.id}/interactions`, {
    at: '2026-11-20T09:30:00+08:00',
    kind: 'visit',
    summary: 'Walked the data centre site',
  });
  expect(logged.status).toBe(201);
  await post(org.ar, `/contacts/${boss.body.id}/interactions`, {
    at: '2026-11-21T09:30:00Z',
    kind: 'call',
    summary: 'Follow-up on budget',
  });
  const list = await get(org.manager, `/contacts/${boss.body.id}/interactions?limit=1`);
  expect(list.status).toBe(200);
  expect(list.body.items.map((i: { kind: string }) => i.kind)).toEqual(['call']);
  const next = await get(
    org.manager,
    `/contacts/${boss.body.id}/interactions?limit=1&cursor=${list.body.nextCursor}`,
  );
  expect(next.body.items.map((i: { kind: string }) => i.kind)).toEqual(['visit']);
  expect(next.body.nextCursor).toBeNull();

  // Deals name the account by id, or find it by name.
  const byId = await api.createOn(
    org.manager,
    processKey,
    { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
    {
      account: { id },
      value: { amount: 1000, currency: 'CNY' },
    },
  );
  expect(byId.status).toBe(201);
  expect(byId.body.account).toEqual({ id, name: name('China Mobile Guangdong'), tier: 'strategic' });
  const byName = await api.createOn(
    org.manager,
    processKey,
    { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
    {
      account: { name: name('China Mobile Guangdong') },
      value: { amount: 500, currency: 'CNY' },
    },
  );
  expect(byName.body.account.id).toBe(id);
  const reassigned = await api.command(org.manager, byName.body.id, 'reassign', {
    role: 'SR',
    userId: org.sdt.id,
    reason: 'SR moved to another region',
  });
  expect(reassigned.status).toBe(200);
  const cancelled = await api.command(org.manager, byName.body.id, 'cancel', { reason: 'merged' });
  expect(cancelled.status).toBe(200);

  const detail = await get(org.manager, `/accounts/${id}`);
  expect(detail.status).toBe(200);
  expect(detail.body.deals.open.map((d: { id: string }) => d.id)).toEqual([byId.body.id]);
  expect(detail.body.deals.closed.map((d: { id: string }) => d.id)).toEqual([byName.body.id]);
  expect(detail.body.deals.totals).toEqual([
    { status: 'active', currency: 'CNY', count: 1, total: 1000 },
    { status: 'cancelled', currency: 'CNY', count: 1, total: 500 },
  ]);
  expect(
    detail.body.roleHistory.account.map((h: { role: string; userId: string }) => [h.role, h.userId]),
  ).toEqual([
    ['AR', org.ar.id],
    ['SR', org.sr.id],
    ['FR', org.fr.id],
  ]);
  const srOfSecond = detail.body.roleHistory.deals.filter(
    (h: { dealId: string; role: string }) => h.dealId === byName.body.id && h.role === 'SR',
  );
  expect(srOfSecond).toEqual([
    expect.objectContaining({ userId: org.sr.id, until: expect.any(String) }),
    expect.objectContaining({ userId: org.sdt.id, until: null, reason: 'SR moved to another region' }),
  ]);
  expect(detail.body.contacts).toHaveLength(2);
  const chain = Object.fromEntries(
    detail.body.decisionChain.map((c: { role: string; contacts: { name: string; stance: string }[] }) => [
      c.role,
      c.contacts.map((x) => `${x.name}:${x.stance}`),
    ]),
  );
  expect(chain).toEqual({
    decision_maker: ['Director Wu:supporter'],
    influencer: [],
    user: [],
    gatekeeper: [],
    buyer: ['Ms Lin:opponent'],
  });

  // The team changes under the three-people rule, and the change is kept with its reason.
  const clash = await request(world.app)
    .patch(`/accounts/${id}`)
    .set(org.manager.auth)
    .send({ team: { SR: org.ar.id } });
  expect(clash.status).toBe(400);
  expect(clash.body.errors[0].path).toBe('body.team.SR');
  const moved = await request(world.app)
    .patch(`/accounts/${id}`)
    .set(org.manager.auth)
    .send({ team: { SR: org.sdt.id }, reason: 'handover', tier: 'core' });
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({ tier: 'core', team: { SR: org.sdt.id } });
  const after = await get(org.ops, `/accounts/${id}`);
  expect(after.body.roleHistory.account).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ role: 'SR', userId: org.sr.id, until: expect.any(String) }),
      expect.objectContaining({ role: 'SR', userId: org.sdt.id, until: null, reason: 'handover' }),
    ]),
  );

  // The list filters by tier, owner and text.
  const found = await get(
    org.manager,
    `/accounts?text=${encodeURIComponent(world.ns)}&owner=${org.ar.id}&tier=core`,
  );
  expect(found.status).toBe(200);
  expect(found.body.items.map((a: { id: string }) => a.id)).toEqual([id]);
  const none = await get(org.manager, `/accounts?text=${encodeURIComponent(world.ns)}&tier=growth`);
  expect(none.body.items).toEqual([]);
});

test('accounts outside a user’s visibility answer 404', async () => {
  const other = await createUser(world, { id: 'acc-other-mgr', roles: ['manager'] });
  const outsider = await createUser(world, { id: 'acc-outsider', managerId: other.id });
  const account = await post(org.ops, '/accounts', { name: name('Sinopec Hainan'), team: { AR: org.ar.id } });
  expect(account.status).toBe(201);
  const id = account.body.id;
  const contact = await post(org.ar, `/accounts/${id}/contacts`, {
    name: 'Mr Gao',
    buyingRole: 'gatekeeper',
  });
  expect(contact.status).toBe(201);

  for (const who of [outsider, other, org.sr]) {
    expect((await get(who, `/accounts/${id}`)).status).toBe(404);
    expect(
      (await request(world.app).patch(`/accounts/${id}`).set(who.auth).send({ tier: 'core' })).status,
    ).toBe(404);
    expect((await post(who, `/accounts/${id}/contacts`, { name: 'X', buyingRole: 'user' })).status).toBe(404);
    expect((await get(who, `/contacts/${contact.body.id}/interactions`)).status).toBe(404);
    const listed = await get(who, `/accounts?text=${encodeURIComponent(world.ns)}`);
    expect(listed.body.items.map((a: { id: string }) => a.id)).not.toContain(id);
  }
  expect((await get(org.ops, '/accounts/not-a-uuid')).status).toBe(404);
  // Seen through the reporting line (the manager above the AR) and by the AR who holds it.
  expect((await get(org.director, `/accounts/${id}`)).status).toBe(200);
  expect((await get(org.ar, `/accounts/${id}`)).status).toBe(200);
  // A member works on it once they hold a role on one of its deals.
  const deal = await api.createOn(
    org.manager,
    processKey,
    { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
    {
      account: { id },
    },
  );
  expect(deal.status).toBe(201);
  expect((await get(org.sr, `/accounts/${id}`)).status).toBe(200);
  // A member may not change it.
  expect(
    (await request(world.app).patch(`/accounts/${id}`).set(org.ar.auth).send({ tier: 'core' })).status,
  ).toBe(403);
});

test('account input is checked at the door', async () => {
  const bad = await post(org.manager, '/accounts', { name: 'a\u0000b', tier: 'platinum' });
  expect(bad.status).toBe(400);
  expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.name', 'body.tier']);
  const acc = await post(org.manager, '/accounts', { name: name('Door Checks') });
  expect(acc.status).toBe(201);
  const dup = await post(org.manager, '/accounts', { name: name('Door Checks') });
  expect(dup.status).toBe(409);
  const contact = await post(org.manager, `/accounts/${acc.body.id}/contacts`, {
    name: 'Y',
    buyingRole: 'boss',
    influence: 6,
  });
  expect(contact.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
    'body.buyingRole',
    'body.influence',
  ]);
  const c = await post(org.manager, `/accounts/${acc.body.id}/contacts`, { name: 'Y', buyingRole: 'user' });
  const interaction = await post(org.manager, `/contacts/${c.body.id}/interactions`, {
    at: 'yesterday',
    kind: 'lunch',
    summary: 'x'.repeat(4001),
  });
  expect(interaction.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
    'body.at',
    'body.kind',
    'body.summary',
  ]);
  const unknownAccount = await api.createOn(
    org.manager,
    processKey,
    { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
    {
      account: { id: '00000000-0000-4000-8000-000000000000' },
    },
  );
  expect(unknownAccount.status).toBe(400);
  expect(unknownAccount.body.errors[0].path).toBe('body.account.id');
  const both = await api.createOn(
    org.manager,
    processKey,
    { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
    {
      account: {},
    },
  );
  expect(both.status).toBe(400);
  expect(both.body.errors[0].path).toBe('body.account.id');
});
