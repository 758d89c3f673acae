/**
 * Users, API tokens and delegations, on the real app, Postgres and Temporal.
 */
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import {
  applyDefinition,
  createOrg,
  createUser,
  eventually,
  startWorld,
  type TestUser,
  type World,
} from './support/world';

const twoStages: ProcessDefinition = {
  key: 'users-flow',
  name: { en: 'Users flow', zh: '用户流程' },
  stages: [
    {
      key: 'lead',
      name: { en: 'Lead', zh: '线索' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 1 },
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
let admin: TestUser;
let outsider: TestUser;
let processKey: string;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  admin = await createUser(world, { id: 'admin', roles: ['admin'] });
  outsider = await createUser(world, { id: 'outsider' });
  processKey = (await applyDefinition(world, twoStages)).key;
});

afterAll(async () => {
  await world?.stop();
});

const api = () => request(world.app);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const paths = (res: request.Response) => (res.body.errors ?? []).map((e: { path: string }) => e.path);
const uid = (name: string) => `${name}-${world.ns}`;

function newUserBody(name: string, extra: Record<string, unknown> = {}) {
  return {
    id: uid(name),
    name: `User ${name}`,
    email: `${uid(name)}@example.test`,
    roles: ['member'],
    ...extra,
  };
}

describe('POST /users', () => {
  test('an admin creates a user and gets a token that works at once', async () => {
    const res = await api()
      .post('/users')
      .set(admin.auth)
      .send(
        newUserBody('alice', {
          name: 'Alice',
          roles: ['member', 'manager'],
          managerId: org.director.id,
          groups: ['sdt'],
          locale: 'zh',
        }),
      );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: uid('alice'),
      name: 'Alice',
      email: `${uid('alice')}@example.test`,
      roles: ['member', 'manager'],
      managerId: org.director.id,
      groups: ['sdt'],
      locale: 'zh',
    });
    expect(typeof res.body.createdAt).toBe('string');
    expect(res.body.token).toMatch(/^ltc_/);
    expect(typeof res.body.tokenId).toBe('string');

    const me = await api().get('/users/me').set(bearer(res.body.token));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: uid('alice'), roles: ['member', 'manager'], locale: 'zh' });
    expect(me.body.token).toBeUndefined();

    // Only the hash is stored.
    const rows = await world.sql`select token_hash from api_tokens where user_id = ${uid('alice')}`;
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).not.toContain(res.body.token);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('defaults: a generated id, no manager, no groups, locale en; email is lower-cased', async () => {
    const res = await api()
      .post('/users')
      .set(admin.auth)
      .send({ name: 'Bob', email: `Bob-${world.ns}@Example.TEST`, roles: ['ops'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Bob',
      email: `bob-${world.ns}@example.test`,
      roles: ['ops'],
      managerId: null,
      groups: [],
      locale: 'en',
    });
    expect(res.body.id).toMatch(/^u_[0-9a-f]{16}$/);
  });

  test('401 without a valid token, 403 for anyone but an admin', async () => {
    expect((await api().post('/users').send(newUserBody('x1'))).status).toBe(401);
    expect((await api().post('/users').set(bearer('ltc_nope')).send(newUserBody('x1'))).status).toBe(401);
    for (const who of [org.ar, org.manager, org.ops]) {
      const res = await api().post('/users').set(who.auth).send(newUserBody('x1'));
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const rows = await world.sql`select id from users where id = ${uid('x1')}`;
    expect(rows).toHaveLength(0);
  });

  test('400 with the paths of invalid fields', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ email: 'a@b.test', roles: ['member'] }, ['body.name']],
      [{ name: 'N', email: 'not-an-email', roles: ['member'] }, ['body.email']],
      [{ name: 'N', email: 'a@b.test', roles: ['king'] }, ['body.roles[0]']],
      [{ name: 'N', email: 'a@b.test', roles: [] }, ['body.roles']],
      [{ name: 'N', email: 'a@b.test' }, ['body.roles']],
      [{ name: 'N', email: 'a@b.test', roles: ['member'], locale: 'fr' }, ['body.locale']],
      [{ name: 'N', email: 'a@b.test', roles: ['member'], groups: ['Not OK'] }, ['body.groups[0]']],
      [{ id: 'me', name: 'N', email: 'a@b.test', roles: ['member'] }, ['body.id']],
      [{ id: 'a/b', name: 'N', email: 'a@b.test', roles: ['member'] }, ['body.id']],
      [{ name: 'N', email: 'a@b.test', roles: ['member'], isAdmin: true }, ['body.isAdmin']],
      [{ name: 'N\u0000', email: 'a@b.test', roles: ['member'] }, ['body.name']],
    ];
    for (const [body, expected] of cases) {
      const res = await api().post('/users').set(admin.auth).send(body);
      expect({ body, status: res.status, paths: paths(res) }).toEqual({ body, status: 400, paths: expected });
    }
  });

  test('400 body.managerId for an unknown manager (a new user cannot be their own manager)', async () => {
    const unknown = await api()
      .post('/users')
      .set(admin.auth)
      .send(newUserBody('carol', { managerId: uid('nobody') }));
    expect(unknown.status).toBe(400);
    expect(paths(unknown)).toEqual(['body.managerId']);

    const self = await api()
      .post('/users')
      .set(admin.auth)
      .send(newUserBody('carol', { managerId: uid('carol') }));
    expect(self.status).toBe(400);
    expect(paths(self)).toEqual(['body.managerId']);
    expect(await world.sql`select id from users where id = ${uid('carol')}`).toHaveLength(0);
  });

  test('409 for a duplicate id or email', async () => {
    const first = await api().post('/users').set(admin.auth).send(newUserBody('dave'));
    expect(first.status).toBe(201);
    const sameId = await api()
      .post('/users')
      .set(admin.auth)
      .send({ ...newUserBody('dave'), email: `${uid('dave')}-2@example.test` });
    expect(sameId.status).toBe(409);
    expect(sameId.body.type).toBe('https://ltc.example/problems/conflict');
    const sameEmail = await api()
      .post('/users')
      .set(admin.auth)
      .send({ ...newUserBody('dave2'), email: `${uid('dave')}@EXAMPLE.test` });
    expect(sameEmail.status).toBe(409);
    // Neither refused request left a user or a token behind.
    expect(await world.sql`select id from users where id = ${uid('dave2')}`).toHaveLength(0);
    expect(await world.sql`select id from api_tokens where user_id = ${uid('dave')}`).toHaveLength(1);
  });
});

describe('GET /users/me, /users, /users/:id', () => {
  test('/users/me is the caller; 401 without a token', async () => {
    const res = await api().get('/users/me').set(org.sr.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: org.sr.id,
      name: 'sr',
      email: `${org.sr.id}@example.test`,
      roles: ['member'],
      managerId: org.manager.id,
      groups: [],
      locale: 'zh',
      createdAt: expect.any(String),
      active: true,
      deactivatedAt: null,
    });
    expect((await api().get('/users/me')).status).toBe(401);
    expect((await api().get('/users/me').set('Authorization', 'Basic abc')).status).toBe(401);
  });

  test('admin and ops list everyone, page by page', async () => {
    for (const who of [admin, org.ops]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        // Small pages first, then the largest: the cursor carries on across limits, and the walk
        // stays short however many users the database holds (every other file's and run's too).
        const limit = pages < 3 ? 3 : 200;
        const res: request.Response = await api()
          .get('/users')
          .query({ limit, ...(cursor ? { cursor } : {}) })
          .set(who.auth);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        if (pages < 3 && res.body.nextCursor) expect(res.body.items.length).toBe(3);
        seen.push(...res.body.items.map((u: { id: string }) => u.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort());
      // Every user of this file is listed (other files' users are there too, in the same order).
      const mine = (await world.sql`select id from users where id like ${`%-${world.ns}`}`).map(
        (r) => r.id as string,
      );
      expect(mine.length).toBeGreaterThanOrEqual(8);
      expect(seen).toEqual(expect.arrayContaining(mine));
    }
  });

  test('a manager lists themselves and their reporting line, transitively; a member only themselves', async () => {
    const ids = async (who: TestUser) => {
      const res = await api().get('/users').set(who.auth);
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      return res.body.items.map((u: { id: string }) => u.id).sort();
    };
    // A line of its own, so users other tests add under the org's managers do not change it.
    const top = await createUser(world, { id: 'line-top', roles: ['manager'] });
    const mid = await createUser(world, { id: 'line-mid', roles: ['manager'], managerId: top.id });
    const a = await createUser(world, { id: 'line-a', managerId: mid.id });
    const b = await createUser(world, { id: 'line-b', managerId: mid.id });
    const line = [mid.id, a.id, b.id];
    expect(await ids(top)).toEqual([top.id, ...line].sort());
    expect(await ids(mid)).toEqual(line.sort());
    expect(await ids(a)).toEqual([a.id]);
  });

  test('400 for a bad limit or cursor', async () => {
    const limit = await api().get('/users').query({ limit: 0 }).set(admin.auth);
    expect(limit.status).toBe(400);
    expect(paths(limit)).toEqual(['query.limit']);
    const forged = Buffer.from(JSON.stringify({ id: 'a\u0000' })).toString('base64url');
    for (const c of ['!!', 'bm9wZQ', forged]) {
      const cursor = await api().get('/users').query({ cursor: c }).set(admin.auth);
      expect(cursor.status).toBe(400);
      expect(paths(cursor)).toEqual(['query.cursor']);
    }
  });

  test('/users/:id: same visibility as the list, else 404', async () => {
    const get = (who: TestUser, id: string) =>
      api()
        .get(`/users/${encodeURIComponent(id)}`)
        .set(who.auth);
    expect((await get(admin, org.ar.id)).body).toMatchObject({ id: org.ar.id, managerId: org.manager.id });
    expect((await get(org.ops, org.ar.id)).status).toBe(200);
    expect((await get(org.director, org.ar.id)).status).toBe(200);
    expect((await get(org.manager, org.fr.id)).status).toBe(200);
    expect((await get(org.ar, org.ar.id)).status).toBe(200);
    expect((await get(org.ar, 'me')).body.id).toBe(org.ar.id);

    expect((await get(org.manager, org.director.id)).status).toBe(404);
    expect((await get(org.manager, org.ops.id)).status).toBe(404);
    expect((await get(org.ar, org.sr.id)).status).toBe(404);
    expect((await get(outsider, org.ar.id)).status).toBe(404);
    expect((await get(admin, uid('nobody'))).status).toBe(404);
    expect((await get(admin, 'nul\u0000')).status).toBe(404);
    expect((await api().get(`/users/${org.ar.id}`)).status).toBe(401);
  });
});

describe('API tokens', () => {
  test('a user creates a token for themselves, lists it without secrets and revokes it (then 401)', async () => {
    const created = await api().post(`/users/${org.fr.id}/tokens`).set(org.fr.auth).send({ label: 'laptop' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      token: expect.any(String),
      createdAt: expect.any(String),
      expiresAt: null,
    });
    const fresh = bearer(created.body.token);
    expect((await api().get('/users/me').set(fresh)).body.id).toBe(org.fr.id);

    const list = await api().get(`/users/${org.fr.id}/tokens`).set(fresh);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual(
      expect.arrayContaining([
        {
          id: created.body.id,
          label: 'laptop',
          createdAt: created.body.createdAt,
          revokedAt: null,
          expiresAt: null,
        },
      ]),
    );
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);

    const del = await api().delete(`/users/${org.fr.id}/tokens/${created.body.id}`).set(org.fr.auth);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const after = await api().get('/users/me').set(fresh);
    expect(after.status).toBe(401);
    expect(after.headers['www-authenticate']).toBe('Bearer');
    // The other token still works; revoking again is a no-op.
    expect((await api().get('/users/me').set(org.fr.auth)).status).toBe(200);
    expect((await api().delete(`/users/me/tokens/${created.body.id}`).set(org.fr.auth)).status).toBe(204);
    const listed = await api().get('/users/me/tokens').set(org.fr.auth);
    expect(listed.body.items.find((t: { id: string }) => t.id === created.body.id).revokedAt).toEqual(
      expect.any(String),
    );
  });

  test('the token list is paged with limit and cursor, oldest first', async () => {
    const owner = await createUser(world, { id: 'token-pager' });
    const made = [];
    for (let i = 0; i < 4; i++) {
      const res = await api()
        .post('/users/me/tokens')
        .set(owner.auth)
        .send({ label: `t${i}` });
      expect(res.status).toBe(201);
      made.push(res.body.id as string);
    }
    const whole = await api().get('/users/me/tokens').set(owner.auth);
    expect(whole.status).toBe(200);
    expect(whole.body.nextCursor).toBeNull();
    expect(whole.body.items).toHaveLength(5); // the initial token and the four above
    expect(whole.body.items.slice(1).map((t: { id: string }) => t.id)).toEqual(made);

    const pages: { id: string }[][] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await api()
        .get(`/users/${owner.id}/tokens`)
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(admin.auth);
      expect(res.status).toBe(200);
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(whole.body.items);

    const limit = await api().get('/users/me/tokens').query({ limit: 0 }).set(owner.auth);
    expect(limit.status).toBe(400);
    expect(paths(limit)).toEqual(['query.limit']);
    for (const c of ['%%%', 'e30', Buffer.from('{"t":"yesterday","i":"x"}').toString('base64url')]) {
      const bad = await api().get('/users/me/tokens').query({ cursor: c }).set(owner.auth);
      expect({ c, status: bad.status }).toEqual({ c, status: 400 });
      expect(paths(bad)).toEqual(['query.cursor']);
    }
  });

  test('a token can revoke itself', async () => {
    const created = await api().post('/users/me/tokens').set(org.fr.auth);
    expect(created.status).toBe(201);
    const t = bearer(created.body.token);
    expect((await api().delete(`/users/me/tokens/${created.body.id}`).set(t)).status).toBe(204);
    expect((await api().get('/users/me').set(t)).status).toBe(401);
  });

  test('an admin creates and revokes anyone’s tokens', async () => {
    const created = await api().post(`/users/${org.sr.id}/tokens`).set(admin.auth).send({});
    expect(created.status).toBe(201);
    expect((await api().get('/users/me').set(bearer(created.body.token))).body.id).toBe(org.sr.id);
    expect((await api().get(`/users/${org.sr.id}/tokens`).set(admin.auth)).status).toBe(200);
    expect((await api().delete(`/users/${org.sr.id}/tokens/${created.body.id}`).set(admin.auth)).status).toBe(
      204,
    );
    expect((await api().get('/users/me').set(bearer(created.body.token))).status).toBe(401);
  });

  test('refusals: 401, 404 for an invisible user, 403 for a visible one, 404 for an unknown token', async () => {
    const mine = await api().post(`/users/${org.ar.id}/tokens`).set(org.ar.auth);
    expect(mine.status).toBe(201);
    const tokenPath = `/users/${org.ar.id}/tokens/${mine.body.id}`;

    expect((await api().post(`/users/${org.ar.id}/tokens`)).status).toBe(401);
    expect((await api().get(`/users/${org.ar.id}/tokens`)).status).toBe(401);
    expect((await api().delete(tokenPath)).status).toBe(401);

    // Another member cannot see the user at all.
    expect((await api().post(`/users/${org.ar.id}/tokens`).set(org.sr.auth)).status).toBe(404);
    expect((await api().get(`/users/${org.ar.id}/tokens`).set(org.sr.auth)).status).toBe(404);
    expect((await api().delete(tokenPath).set(org.sr.auth)).status).toBe(404);
    // The manager sees the user but may not handle their tokens; nor may ops.
    for (const who of [org.manager, org.ops]) {
      expect((await api().post(`/users/${org.ar.id}/tokens`).set(who.auth)).status).toBe(403);
      expect((await api().get(`/users/${org.ar.id}/tokens`).set(who.auth)).status).toBe(403);
      expect((await api().delete(tokenPath).set(who.auth)).status).toBe(403);
    }
    // A token id of someone else under one's own path, or an unknown one, is 404.
    expect((await api().delete(`/users/${org.sr.id}/tokens/${mine.body.id}`).set(org.sr.auth)).status).toBe(
      404,
    );
    expect((await api().delete(`/users/${org.ar.id}/tokens/tok_nope`).set(org.ar.auth)).status).toBe(404);
    expect((await api().delete(`/users/${org.ar.id}/tokens/tok%00`).set(org.ar.auth)).status).toBe(404);
    expect((await api().get('/users/nul%00/tokens').set(admin.auth)).status).toBe(404);
    expect(
      (
        await api()
          .post(`/users/${uid('nobody')}/tokens`)
          .set(admin.auth)
      ).status,
    ).toBe(404);
    // Bad body.
    const bad = await api().post(`/users/${org.ar.id}/tokens`).set(org.ar.auth).send({ label: '', x: 1 });
    expect(bad.status).toBe(400);
    expect(paths(bad).sort()).toEqual(['body.label', 'body.x']);

    // None of the refusals revoked the token.
    expect((await api().get('/users/me').set(bearer(mine.body.token))).status).toBe(200);
  });
});

describe('delegation', () => {
  const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

  test('set, read, replace and clear', async () => {
    expect((await api().get('/users/me/delegation').set(org.ar.auth)).status).toBe(404);
    const from = inHours(24);
    const until = inHours(48);
    const put = await api()
      .put('/users/me/delegation')
      .set(org.ar.auth)
      .send({ delegateId: org.sr.id, from, until });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      userId: org.ar.id,
      delegateId: org.sr.id,
      from,
      until,
      active: false,
      updatedAt: expect.any(String),
    });
    expect((await api().get('/users/me/delegation').set(org.ar.auth)).body).toEqual(put.body);

    const replaced = await api()
      .put('/users/me/delegation')
      .set(org.ar.auth)
      .send({ delegateId: org.fr.id, from: inHours(-1), until: inHours(1) });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ delegateId: org.fr.id, active: true });
    expect(await world.sql`select delegate_id from delegations where user_id = ${org.ar.id}`).toEqual([
      { delegate_id: org.fr.id },
    ]);

    expect((await api().delete('/users/me/delegation').set(org.ar.auth)).status).toBe(204);
    expect((await api().get('/users/me/delegation').set(org.ar.auth)).status).toBe(404);
    expect((await api().delete('/users/me/delegation').set(org.ar.auth)).status).toBe(204);
  });

  test('validation: ISO date-times, until after from, an existing delegate who is not the caller', async () => {
    const put = (body: unknown) =>
      api()
        .put('/users/me/delegation')
        .set(org.ar.auth)
        .send(body as object);
    const ok = { delegateId: org.sr.id, from: inHours(1), until: inHours(2) };
    const cases: [unknown, string[]][] = [
      [{ ...ok, from: 'tomorrow' }, ['body.from']],
      [{ ...ok, until: '2030-01-01' }, ['body.until']],
      [{ ...ok, until: ok.from }, ['body.until']],
      [{ ...ok, from: ok.until, until: ok.from }, ['body.until']],
      [{ ...ok, delegateId: undefined }, ['body.delegateId']],
      [{ ...ok, delegateId: uid('nobody') }, ['body.delegateId']],
      [{ ...ok, delegateId: org.ar.id }, ['body.delegateId']],
      [{ ...ok, delegateId: 'nul\u0000' }, ['body.delegateId']],
      [{ ...ok, extra: true }, ['body.extra']],
    ];
    for (const [body, expected] of cases) {
      const res = await put(body);
      expect({ body, status: res.status, paths: paths(res) }).toEqual({ body, status: 400, paths: expected });
    }
    expect((await api().get('/users/me/delegation').set(org.ar.auth)).status).toBe(404);
    expect((await api().put('/users/me/delegation').send(ok)).status).toBe(401);
    expect((await api().delete('/users/me/delegation')).status).toBe(401);
    expect((await api().get('/users/me/delegation')).status).toBe(401);
  });

  test('end to end: the delegate signs within the window, on behalf of the holder; not outside it', async () => {
    const created = await api()
      .post('/deals')
      .set(org.manager.auth)
      .send({
        title: `Delegated deal ${world.ns}`,
        account: { name: 'Harbour Authority' },
        value: { amount: 1000, currency: 'CNY' },
        triangle: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
        process: { key: processKey },
      });
    expect(created.status).toBe(201);
    const dealId = created.body.id;
    const sign = () =>
      api()
        .post(`/deals/${dealId}/signoffs`)
        .set(outsider.auth)
        .send({ stage: 'lead', decision: 'approve', comment: 'covering' });
    const setWindow = async (from: string, until: string) =>
      expect(
        (
          await api()
            .put('/users/me/delegation')
            .set(org.ar.auth)
            .send({ delegateId: outsider.id, from, until })
        ).status,
      ).toBe(200);

    // Not a delegate: the deal is invisible.
    expect((await api().get(`/deals/${dealId}`).set(outsider.auth)).status).toBe(404);
    expect((await sign()).status).toBe(404);
    // A window in the future or in the past does not count.
    await setWindow(inHours(1), inHours(2));
    expect((await api().get(`/deals/${dealId}`).set(outsider.auth)).status).toBe(404);
    expect((await sign()).status).toBe(404);
    await setWindow(inHours(-2), inHours(-1));
    expect((await sign()).status).toBe(404);
    expect((await api().get('/me/tasks').set(outsider.auth)).body.items).toEqual([]);

    // Within the window the delegate sees the deal, has the task and signs for the AR.
    await setWindow(inHours(-1), inHours(1));
    expect((await api().get(`/deals/${dealId}`).set(outsider.auth)).status).toBe(200);
    const tasks = await api().get('/me/tasks').set(outsider.auth);
    expect(tasks.body.items).toEqual([
      expect.objectContaining({ dealId, stage: 'lead', role: 'AR', onBehalfOfId: org.ar.id }),
    ]);
    const signed = await sign();
    expect(signed.status).toBe(200);
    await eventually(async () => {
      const r = await api().get(`/deals/${dealId}`).set(org.ar.auth);
      return r.body.stage?.key === 'close';
    });

    const timeline = await api().get(`/deals/${dealId}/timeline`).set(org.ar.auth);
    const approved = timeline.body.items.find((e: { type: string }) => e.type === 'signoff.approved');
    expect(approved).toMatchObject({
      stage: 'lead',
      actorId: outsider.id,
      onBehalfOfId: org.ar.id,
      data: expect.objectContaining({ role: 'AR' }),
    });
    expect(
      await world.sql`select user_id, actor_id from signoffs where deal_id = ${dealId} and stage_key = 'lead'`,
    ).toEqual([{ user_id: org.ar.id, actor_id: outsider.id }]);

    // The delegate may sign only the holder's roles: FR's role at `close` is not theirs (403).
    const fr = await api()
      .post(`/deals/${dealId}/signoffs`)
      .set(outsider.auth)
      .send({ stage: 'close', role: 'FR', decision: 'approve' });
    expect(fr.status).toBe(403);

    // Once the delegation is cleared the deal is invisible again.
    expect((await api().delete('/users/me/delegation').set(org.ar.auth)).status).toBe(204);
    expect((await api().get(`/deals/${dealId}`).set(outsider.auth)).status).toBe(404);
    const late = await api()
      .post(`/deals/${dealId}/signoffs`)
      .set(outsider.auth)
      .send({ stage: 'close', role: 'AR', decision: 'approve' });
    expect(late.status).toBe(404);
    // The holder still can.
    const own = await api()
      .post(`/deals/${dealId}/signoffs`)
      .set(org.ar.auth)
      .send({ stage: 'close', role: 'AR', decision: 'approve' });
    expect(own.status).toBe(200);
  });
});
