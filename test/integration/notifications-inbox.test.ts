/**
 * In-app inbox, preferences and webhook administration on the real servers (no SMTP here: the
 * outbox row is the inbox item, it needs no delivery).
 */
import request from 'supertest';
import { createDeal, createTeam, notifyProcess, outbox } from './support/notification-receivers';
import { applyDefinition, eventually, startWorld, type World } from './support/world';

let world: World;
let processKey: string;

beforeAll(async () => {
  world = await startWorld();
  processKey = (await applyDefinition(world, notifyProcess)).key;
});

afterAll(async () => {
  await world?.stop();
});

test('inbox: my notifications, unread first, paginated; read marks them; others’ ids are 404', async () => {
  const team = await createTeam(world, 'inbox');
  const first = await createDeal(world, team, processKey, 'First deal');
  const second = await createDeal(world, team, processKey, 'Second deal');
  const [t1] = await outbox(world, first.id, { kind: 'task', userId: team.ar.id });
  const [t2] = await outbox(world, second.id, { kind: 'task', userId: team.ar.id });

  const all = await request(world.app).get('/me/notifications').set(team.ar.auth);
  expect(all.status).toBe(200);
  expect(all.body.nextCursor).toBeNull();
  expect(all.body.items).toHaveLength(2);
  expect(all.body.items[0]).toEqual({
    id: t2.id,
    kind: 'task',
    dealId: second.id,
    stage: 'qualify',
    text: expect.stringContaining('Please sign off stage "Qualify" of deal "Second deal".'),
    createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    readAt: null,
  });
  expect(all.body.items[0].text).toContain(`http://localhost:3000/deals/${second.id}`);
  expect(all.body.items[1].id).toBe(t1.id);

  // pagination
  const p1 = await request(world.app).get('/me/notifications?limit=1').set(team.ar.auth);
  expect(p1.body.items.map((i: { id: string }) => i.id)).toEqual([t2.id]);
  expect(p1.body.nextCursor).toEqual(expect.any(String));
  const p2 = await request(world.app)
    .get(`/me/notifications?limit=1&cursor=${p1.body.nextCursor}`)
    .set(team.ar.auth);
  expect(p2.body).toEqual({ items: [expect.objectContaining({ id: t1.id })], nextCursor: null });
  expect((await request(world.app).get('/me/notifications?cursor=bogus!').set(team.ar.auth)).status).toBe(
    400,
  );

  // reading the newest moves it behind the unread one
  const read = await request(world.app).post(`/me/notifications/${t2.id}/read`).set(team.ar.auth);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ id: t2.id, readAt: expect.any(String) });
  const again = await request(world.app).post(`/me/notifications/${t2.id}/read`).set(team.ar.auth);
  expect(again.body.readAt).toBe(read.body.readAt);
  const after = await request(world.app).get('/me/notifications').set(team.ar.auth);
  expect(
    after.body.items.map((i: { id: string; readAt: string | null }) => [i.id, i.readAt !== null]),
  ).toEqual([
    [t1.id, false],
    [t2.id, true],
  ]);
  const unread = await request(world.app).get('/me/notifications?unread=true').set(team.ar.auth);
  expect(unread.body.items.map((i: { id: string }) => i.id)).toEqual([t1.id]);
  // keyset pagination across the unread/read boundary
  const q1 = await request(world.app).get('/me/notifications?limit=1').set(team.ar.auth);
  const q2 = await request(world.app)
    .get(`/me/notifications?limit=1&cursor=${q1.body.nextCursor}`)
    .set(team.ar.auth);
  expect([...q1.body.items, ...q2.body.items].map((i: { id: string }) => i.id)).toEqual([t1.id, t2.id]);

  // only mine: the SR sees their own, and the AR's ids are 404 to them
  const sr = await request(world.app).get('/me/notifications').set(team.sr.auth);
  expect(sr.body.items.every((i: { id: string }) => i.id !== t1.id && i.id !== t2.id)).toBe(true);
  expect((await request(world.app).post(`/me/notifications/${t1.id}/read`).set(team.sr.auth)).status).toBe(
    404,
  );
  expect((await request(world.app).post('/me/notifications/ntf_unknown/read').set(team.ar.auth)).status).toBe(
    404,
  );
  expect((await request(world.app).get('/me/notifications')).status).toBe(401);
});

test('preferences: defaults, narrowing, validation; excluded kinds leave the inbox', async () => {
  const team = await createTeam(world, 'prefs');
  const defaults = await request(world.app).get('/users/me/notification-preferences').set(team.fr.auth);
  expect(defaults.status).toBe(200);
  const all = ['inbox', 'email', 'webhook'];
  expect(defaults.body).toEqual({ task: all, reminder: all, escalation: all, decision: all, status: all });

  const put = await request(world.app)
    .put('/users/me/notification-preferences')
    .set(team.ar.auth)
    .send({ preferences: { status: [], decision: ['email'] } });
  expect(put.status).toBe(200);
  expect(put.body).toMatchObject({ status: [], decision: ['email'], task: all });
  expect((await request(world.app).get('/users/me/notification-preferences').set(team.ar.auth)).body).toEqual(
    put.body,
  );
  for (const bad of [
    { task: ['sms'] },
    { gossip: ['email'] },
    { task: ['email', 'email'] },
    { task: 'email' },
  ]) {
    const res = await request(world.app)
      .put('/users/me/notification-preferences')
      .set(team.ar.auth)
      .send(bad);
    expect(res.status).toBe(400);
  }

  const deal = await createDeal(world, team, processKey);
  for (const u of [team.ar, team.sr]) {
    const res = await request(world.app).post(`/deals/${deal.id}/signoffs`).set(u.auth).send({
      stage: 'qualify',
      decision: 'approve',
    });
    expect(res.status).toBe(200);
  }
  await eventually(
    async () => (await outbox(world, deal.id, { kind: 'decision', userId: team.ar.id })).length,
  );
  const inbox = await request(world.app).get('/me/notifications').set(team.ar.auth);
  expect(inbox.body.items.map((i: { kind: string }) => i.kind)).toEqual(['task']);
  // the SR keeps the defaults: task and decision
  const sr = await request(world.app).get('/me/notifications').set(team.sr.auth);
  expect(sr.body.items.map((i: { kind: string }) => i.kind).sort()).toEqual(['decision', 'task']);

  // widening again brings them back (the outbox row was kept)
  await request(world.app).put('/users/me/notification-preferences').set(team.ar.auth).send({});
  const back = await request(world.app).get('/me/notifications').set(team.ar.auth);
  expect(back.body.items.map((i: { kind: string }) => i.kind).sort()).toEqual(['decision', 'task']);
});

test('webhooks: ops add, list and delete them; validation and authorisation', async () => {
  const team = await createTeam(world, 'hooks');
  const url = 'https://hooks.example.test/ltc';
  const denied = await request(world.app)
    .post('/webhooks')
    .set(team.manager.auth)
    .send({ url, format: 'slack' });
  expect(denied.status).toBe(403);
  expect((await request(world.app).get('/webhooks').set(team.ar.auth)).status).toBe(403);

  for (const bad of [
    { url, format: 'generic' }, // generic needs a secret
    { url: 'ftp://x.test/hook', format: 'slack' },
    { url, format: 'telegram' },
    { url, format: 'slack', events: ['gossip'] },
    { url, format: 'slack', userId: 'nobody' },
    { url, format: 'slack', userId: team.ar.id, teamManagerId: team.manager.id },
  ]) {
    const res = await request(world.app).post('/webhooks').set(team.ops.auth).send(bad);
    expect(res.status).toBe(400);
  }

  const created = await request(world.app)
    .post('/webhooks')
    .set(team.ops.auth)
    .send({ url, format: 'generic', secret: 's3cret', userId: team.ar.id });
  expect(created.status).toBe(201);
  expect(created.body).toEqual({
    id: expect.stringMatching(/^whk_/),
    url,
    format: 'generic',
    hasSecret: true,
    events: null,
    userId: team.ar.id,
    teamManagerId: null,
    scope: 'user',
    createdBy: team.ops.id,
    createdAt: expect.any(String),
  });
  expect(JSON.stringify(created.body)).not.toContain('s3cret');
  const team2 = await request(world.app)
    .post('/webhooks')
    .set(team.ops.auth)
    .send({ url, format: 'wecom', events: ['escalation', 'decision'], teamManagerId: team.manager.id });
  expect(team2.status).toBe(201);
  expect(team2.body).toMatchObject({ scope: 'team', events: ['escalation', 'decision'], hasSecret: false });

  const list = await request(world.app).get('/webhooks?limit=200').set(team.ops.auth);
  expect(list.status).toBe(200);
  const ids = list.body.items.map((w: { id: string }) => w.id);
  expect(ids).toEqual(expect.arrayContaining([created.body.id, team2.body.id]));

  expect((await request(world.app).delete(`/webhooks/${created.body.id}`).set(team.ar.auth)).status).toBe(
    403,
  );
  expect((await request(world.app).delete(`/webhooks/${created.body.id}`).set(team.ops.auth)).status).toBe(
    204,
  );
  expect((await request(world.app).delete(`/webhooks/${created.body.id}`).set(team.ops.auth)).status).toBe(
    404,
  );
  const listed = await request(world.app).get('/webhooks?limit=200').set(team.ops.auth);
  expect(listed.body.items.map((w: { id: string }) => w.id)).not.toContain(created.body.id);
  await request(world.app).delete(`/webhooks/${team2.body.id}`).set(team.ops.auth);
});
