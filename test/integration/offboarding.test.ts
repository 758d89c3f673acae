/**
 * Offboarding: a person holding roles on 50+ running deals, an account-team role and contact
 * relationships leaves; a worker process is killed in the middle; every role still moves exactly
 * once, what cannot move is reported with the reason, and a second call does nothing more.
 */
import { and, eq, sql } from 'drizzle-orm';
import request from 'supertest';
import { dealEvents, offboardingItems } from '../../db/schema';
import { dealApi } from './support/api';
import { soloStage } from './support/process';
import { spawnWorkerProcess } from './support/worker-process';
import { applyDefinition, createOrg, createUser, eventually, startWorld, type World } from './support/world';

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

const DEALS = 50;

test('offboarding a person with 50 running deals, a worker killed midway: every role moves exactly once', async () => {
  const key = (
    await applyDefinition(world, { key: 'offboard', name: { en: 'O', zh: 'O' }, stages: [soloStage('one')] })
  ).key;
  const leaver = await createUser(world, { id: 'leaver', managerId: org.manager.id });
  const successor = await createUser(world, { id: 'successor', managerId: org.manager.id });

  // 50 deals where the leaver is AR; one more where the successor already is SR (cannot move).
  const ids: string[] = [];
  for (let i = 0; i < DEALS; i++) {
    const res = await api.createOn(
      org.manager,
      key,
      { AR: leaver.id, SR: org.sr.id, FR: org.fr.id },
      {
        title: `Offboard ${i} ${world.ns}`,
      },
    );
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  const blocked = await api.createOn(org.manager, key, { AR: leaver.id, SR: successor.id, FR: org.fr.id });
  expect(blocked.status).toBe(201);

  // An account the leaver holds and a relationship they own.
  const account = await request(world.app)
    .post('/accounts')
    .set(org.manager.auth)
    .send({ name: `Offboard account ${world.ns}`, team: { AR: leaver.id, SR: org.sr.id } });
  expect(account.status).toBe(201);
  const contact = await request(world.app)
    .post(`/accounts/${account.body.id}/contacts`)
    .set(org.manager.auth)
    .send({ name: 'Chief buyer', buyingRole: 'buyer', ownerId: leaver.id });
  expect(contact.status).toBe(201);

  // The leaver was standing in for the SR (a delegation), which ends with them.
  const delegated = await request(world.app)
    .put('/users/me/delegation')
    .set(org.sr.auth)
    .send({
      delegateId: leaver.id,
      from: new Date(Date.now() - 60_000).toISOString(),
      until: new Date(Date.now() + 86_400_000).toISOString(),
    });
  expect(delegated.status).toBe(200);

  // Only the members of the org above the leaver may offboard them.
  const refused = await request(world.app)
    .post(`/users/${leaver.id}/offboard`)
    .set(org.sr.auth)
    .send({ successor: successor.id, reason: 'leaves the company' });
  expect(refused.status).toBe(403);

  // A separate worker process serves the task queue, and is killed once some deals have moved.
  await world.stopWorker();
  const child = spawnWorkerProcess(world);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  await eventually(async () => output.includes('worker ready'), 60_000);

  const first = request(world.app)
    .post(`/users/${leaver.id}/offboard`)
    .set(org.manager.auth)
    .send({ successor: successor.id, reason: 'leaves the company' })
    .then((r) => r);
  const movedBeforeKill = await eventually(
    async () => {
      const [row] = await world.db
        .select({ n: sql<number>`count(*)::int` })
        .from(offboardingItems)
        .where(and(eq(offboardingItems.userId, leaver.id), eq(offboardingItems.kind, 'deal')));
      return row.n >= 5 ? row.n : null;
    },
    60_000,
    20,
  );
  child.kill('SIGKILL');
  expect(movedBeforeKill).toBeLessThan(DEALS);
  await new Promise((r) => child.once('exit', r));
  await world.startWorker();
  expect([200, 202]).toContain((await first).status);

  const report = await eventually(
    async () => {
      const r = await request(world.app).get(`/users/${leaver.id}/offboard`).set(org.ops.auth);
      return r.status === 200 && r.body.status === 'completed' ? r.body : null;
    },
    120_000,
    500,
  );
  expect(report.moved.deals).toHaveLength(DEALS);
  expect(new Set(report.moved.deals.map((d: { id: string }) => d.id))).toEqual(new Set(ids));
  expect(report.moved.accounts).toEqual([{ id: account.body.id, role: 'AR' }]);
  expect(report.moved.contacts).toEqual([{ id: contact.body.id }]);
  expect(report.notMoved).toEqual([
    { kind: 'deal', id: blocked.body.id, role: 'AR', reason: expect.stringContaining('three people') },
  ]);
  expect(report.tokensRevoked).toBeGreaterThanOrEqual(1);
  expect(report.delegationsEnded).toBe(1);
  const delegation = await request(world.app).get('/users/me/delegation').set(org.sr.auth);
  expect(delegation.body.active).toBe(false);

  // Every deal recorded exactly one handover, with the reason, and the successor holds the role.
  const handovers = await world.db
    .select({ dealId: dealEvents.dealId, data: dealEvents.data })
    .from(dealEvents)
    .where(and(eq(dealEvents.type, 'role.reassigned'), sql`${dealEvents.data}->>'from' = ${leaver.id}`));
  const perDeal = new Map<string, number>();
  for (const h of handovers) {
    perDeal.set(h.dealId, (perDeal.get(h.dealId) ?? 0) + 1);
    expect(h.data).toMatchObject({ role: 'AR', to: successor.id, reason: 'leaves the company' });
  }
  expect([...perDeal.keys()].sort()).toEqual([...ids].sort());
  expect([...perDeal.values()].every((n) => n === 1)).toBe(true);
  for (const id of ids.slice(0, 3)) {
    expect((await api.get(successor, id)).body.triangle.AR).toBe(successor.id);
  }
  // The one that could not move is left as it was, for a manager to resolve.
  expect((await api.get(org.manager, blocked.body.id)).body.triangle.AR).toBe(leaver.id);

  // The account and the relationship follow; the leaver's tokens answer 401.
  const detail = await request(world.app).get(`/accounts/${account.body.id}`).set(org.manager.auth);
  expect(detail.body.team.AR).toBe(successor.id);
  expect(detail.body.contacts[0].ownerId).toBe(successor.id);
  expect(detail.body.roleHistory.account).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ role: 'AR', userId: successor.id, reason: 'leaves the company' }),
    ]),
  );
  expect((await request(world.app).get('/users/me').set(leaver.auth)).status).toBe(401);

  // Twice does nothing more.
  const again = await request(world.app)
    .post(`/users/${leaver.id}/offboard`)
    .set(org.manager.auth)
    .send({ successor: successor.id, reason: 'leaves the company' });
  expect(again.status).toBe(200);
  expect(again.body.moved.deals).toHaveLength(DEALS);
  const [after] = await world.db
    .select({ n: sql<number>`count(*)::int` })
    .from(dealEvents)
    .where(and(eq(dealEvents.type, 'role.reassigned'), sql`${dealEvents.data}->>'from' = ${leaver.id}`));
  expect(after.n).toBe(DEALS);
  const other = await request(world.app)
    .post(`/users/${leaver.id}/offboard`)
    .set(org.manager.auth)
    .send({ successor: org.ar.id, reason: 'x' });
  expect(other.status).toBe(409);
}, 300_000);

test('credit splits across the handover: the leaver keeps what they earned, the successor earns from then on', async () => {
  const key = (
    await applyDefinition(world, {
      key: 'credit-handover',
      name: { en: 'C', zh: 'C' },
      stages: [soloStage('one', { approvers: ['SR'], weights: { AR: 0.5, SR: 0.5 } })],
    })
  ).key;
  const leaver = await createUser(world, { id: 'credit-leaver', managerId: org.manager.id });
  const heir = await createUser(world, { id: 'credit-heir', managerId: org.manager.id });
  const created = await api.createOn(
    org.manager,
    key,
    { AR: leaver.id, SR: org.sr.id, FR: org.fr.id },
    {
      value: { amount: 1000, currency: 'USD' },
    },
  );
  const id = created.body.id as string;
  // Some time in the stage with the leaver, then the handover, then some with the heir.
  await new Promise((r) => setTimeout(r, 300));
  const off = await request(world.app)
    .post(`/users/${leaver.id}/offboard`)
    .set(org.manager.auth)
    .send({ successor: heir.id, reason: 'moves to another company' });
  expect(off.status).toBe(200);
  await new Promise((r) => setTimeout(r, 300));
  expect((await api.sign(org.sr, id, { stage: 'one' })).status).toBe(200);
  await api.waitFor(org.manager, id, { status: 'completed' });

  const events = await api.timeline(org.manager, id);
  const at = (type: string) => {
    const e = events.find((x) => x.type === type) as unknown as { at: string };
    return Date.parse(e.at);
  };
  const entered = at('stage.entered');
  const handed = at('role.reassigned');
  const exited = at('stage.completed');
  const leaverShare = (handed - entered) / (exited - entered);
  const credit = await eventually(async () => {
    const r = await request(world.app).get('/reports/credit').query({ limit: 200 }).set(org.ops.auth);
    const rows = r.body.items as { userId: string; currency: string; credit: number }[];
    const mine = rows.filter(
      (x) => [leaver.id, heir.id, org.sr.id].includes(x.userId) && x.currency === 'USD',
    );
    return mine.some((x) => x.userId === heir.id) ? mine : null;
  });
  const of = (u: string) => credit.find((c) => c.userId === u)?.credit ?? 0;
  expect(of(leaver.id)).toBeCloseTo(500 * leaverShare, 1);
  expect(of(heir.id)).toBeCloseTo(500 * (1 - leaverShare), 1);
  expect(of(leaver.id)).toBeGreaterThan(0);
  expect(of(leaver.id) + of(heir.id)).toBeCloseTo(500, 1);
});
