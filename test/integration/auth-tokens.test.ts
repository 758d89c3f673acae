/**
 * Token expiry, user deactivation and the bootstrap admin token, on the real app and Postgres.
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { ensureBootstrapAdmin } from '../../api/users/bootstrap';
import { createUser, eventually, replicaApp, startWorld, type TestUser, type World } from './support/world';

let world: World;
let admin: TestUser;

beforeAll(async () => {
  world = await startWorld();
  admin = await createUser(world, { id: 'tok-admin', roles: ['admin'] });
});

afterAll(async () => {
  await world?.stop();
});

const api = () => request(world.app);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const paths = (res: request.Response) => (res.body.errors ?? []).map((e: { path: string }) => e.path);
const me = (auth: { Authorization: string }, app: Express = world.app) =>
  request(app).get('/users/me').set(auth);

describe('token expiry', () => {
  test('a token minted with expiresAt works until then, and answers 401 saying it expired after', async () => {
    const u = await createUser(world, { id: 'tok-expiring' });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const lasting = await api()
      .post('/users/me/tokens')
      .set(u.auth)
      .send({ label: 'hour', expiresAt: later });
    expect(lasting.status).toBe(201);
    expect(lasting.body.expiresAt).toBe(later);
    expect((await me(bearer(lasting.body.token))).status).toBe(200);

    const soon = new Date(Date.now() + 1_000).toISOString();
    const brief = await api().post(`/users/${u.id}/tokens`).set(admin.auth).send({ expiresAt: soon });
    expect(brief.status).toBe(201);
    const expired = await eventually(async () => {
      const res = await me(bearer(brief.body.token));
      return res.status === 401 ? res : undefined;
    });
    expect(expired.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(expired.body.detail).toBe(`The token expired at ${soon}`);
    // The user's other tokens are unaffected.
    expect((await me(u.auth)).status).toBe(200);

    const listed = await api().get('/users/me/tokens').set(u.auth);
    const byId = new Map(listed.body.items.map((t: { id: string }) => [t.id, t]));
    expect(byId.get(lasting.body.id)).toMatchObject({ label: 'hour', expiresAt: later, revokedAt: null });
    expect(byId.get(brief.body.id)).toMatchObject({ expiresAt: soon });
    // The first token was minted without an expiry.
    expect(listed.body.items[0]).toMatchObject({ expiresAt: null });
  });

  test('expiresAt must be an ISO date-time in the future', async () => {
    const u = await createUser(world, { id: 'tok-bad-expiry' });
    for (const expiresAt of [
      new Date(Date.now() - 1000).toISOString(),
      'tomorrow',
      '2030-01-01',
      1_900_000_000,
    ]) {
      const res = await api().post('/users/me/tokens').set(u.auth).send({ expiresAt });
      expect({ expiresAt, status: res.status, paths: paths(res) }).toEqual({
        expiresAt,
        status: 400,
        paths: ['body.expiresAt'],
      });
    }
  });
});

describe('deactivating a user', () => {
  test('refuses all of their tokens at once; reactivating restores them', async () => {
    const u = await createUser(world, { id: 'tok-leaver' });
    const second = await api().post('/users/me/tokens').set(u.auth).send({});
    const revoked = await api().post('/users/me/tokens').set(u.auth).send({});
    expect((await api().delete(`/users/me/tokens/${revoked.body.id}`).set(u.auth)).status).toBe(204);

    const off = await api().patch(`/users/${u.id}`).set(admin.auth).send({ active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: u.id, active: false, deactivatedAt: expect.any(String) });
    for (const auth of [u.auth, bearer(second.body.token)]) {
      const res = await me(auth);
      expect(res.status).toBe(401);
      expect(res.body.detail).toBe('The user of this token is deactivated');
      expect((await api().post('/users/me/tokens').set(auth).send({})).status).toBe(401);
    }
    // Deactivating twice keeps the first time; admins still see the user.
    const again = await api().patch(`/users/${u.id}`).set(admin.auth).send({ active: false });
    expect(again.body.deactivatedAt).toBe(off.body.deactivatedAt);
    expect((await api().get(`/users/${u.id}`).set(admin.auth)).body).toMatchObject({ active: false });
    // Nobody can hand their sign-offs to a deactivated user.
    const from = new Date(Date.now() + 86_400_000);
    const delegation = {
      delegateId: u.id,
      from: from.toISOString(),
      until: new Date(+from + 86_400_000).toISOString(),
    };
    const refused = await api().put('/users/me/delegation').set(admin.auth).send(delegation);
    expect(refused.status).toBe(400);
    expect(paths(refused)).toEqual(['body.delegateId']);

    const on = await api().patch(`/users/${u.id}`).set(admin.auth).send({ active: true });
    expect(on.body).toMatchObject({ id: u.id, active: true, deactivatedAt: null });
    expect((await me(u.auth)).status).toBe(200);
    expect((await me(bearer(second.body.token))).status).toBe(200);
    // A revoked token stays revoked.
    expect((await me(bearer(revoked.body.token))).body.detail).toBe('The token has been revoked');
  });

  test('only admins deactivate, never themselves; the body is checked', async () => {
    const u = await createUser(world, { id: 'tok-stays' });
    const ops = await createUser(world, { id: 'tok-ops', roles: ['ops'] });
    expect((await api().patch(`/users/${u.id}`).set(ops.auth).send({ active: false })).status).toBe(403);
    expect((await api().patch('/users/me').set(u.auth).send({ active: false })).status).toBe(403);
    const self = await api().patch('/users/me').set(admin.auth).send({ active: false });
    expect(self.status).toBe(409);
    expect((await me(admin.auth)).status).toBe(200);
    expect(
      (await api().patch(`/users/nobody-${world.ns}`).set(admin.auth).send({ active: false })).status,
    ).toBe(404);
    for (const body of [{}, { active: 'no' }, { active: false, name: 'x' }]) {
      const res = await api().patch(`/users/${u.id}`).set(admin.auth).send(body);
      expect(res.status).toBe(400);
      expect(paths(res).length).toBeGreaterThan(0);
      expect(paths(res).every((p: string) => p.startsWith('body'))).toBe(true);
    }
    expect((await me(u.auth)).status).toBe(200);
  });
});

describe('the bootstrap admin token', () => {
  /** What api/server.ts does at start: ensure the bootstrap admin, then build the app. */
  async function start(token: string): Promise<Express> {
    await ensureBootstrapAdmin(world.db, token);
    return replicaApp(world);
  }
  const newValue = () => `boot-${world.ns}-${randomBytes(12).toString('hex')}`;

  test('a revoked bootstrap token stays revoked across restarts; a new value rotates it', async () => {
    const first = newValue();
    let app = await start(first);
    const who = await me(bearer(first), app);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ id: 'admin', roles: ['admin', 'ops', 'manager'], active: true });

    const tokens = await request(app).get('/users/me/tokens?limit=200').set(bearer(first));
    const live = tokens.body.items.filter(
      (t: { label: string; revokedAt: string | null }) => t.label === 'bootstrap' && !t.revokedAt,
    );
    expect(live).toHaveLength(1);
    expect((await request(app).delete(`/users/me/tokens/${live[0].id}`).set(bearer(first))).status).toBe(204);
    expect((await me(bearer(first), app)).status).toBe(401);

    // A restart with the same value does not bring it back.
    app = await start(first);
    const still = await me(bearer(first), app);
    expect(still.status).toBe(401);
    expect(still.body.detail).toBe('The token has been revoked');

    // A new value works at once; the old one stays refused, even if it is configured again.
    const second = newValue();
    app = await start(second);
    expect((await me(bearer(second), app)).status).toBe(200);
    expect((await me(bearer(first), app)).status).toBe(401);
    app = await start(first);
    expect((await me(bearer(first), app)).status).toBe(401);
    expect((await me(bearer(second), app)).status).toBe(200);

    // Rotation retires the previous value.
    const third = newValue();
    app = await start(third);
    expect((await me(bearer(third), app)).status).toBe(200);
    expect((await me(bearer(second), app)).body.detail).toBe('The token has been revoked');
  });

  test('a deactivated bootstrap admin stays deactivated across restarts until the value is rotated', async () => {
    const value = newValue();
    let app = await start(value);
    expect((await request(app).patch('/users/admin').set(admin.auth).send({ active: false })).status).toBe(
      200,
    );
    app = await start(value);
    expect((await me(bearer(value), app)).body.detail).toBe('The user of this token is deactivated');
    const rotated = newValue();
    app = await start(rotated);
    expect((await me(bearer(rotated), app)).body).toMatchObject({ id: 'admin', active: true });
  });
});
