/**
 * Rate limits on the real Postgres: per user (not per token), reads and writes apart, failed
 * authentications per client address, shared by every app instance on the database.
 */
import type { Express } from 'express';
import request from 'supertest';
import type { AppDeps } from '../../api/app';
import { authenticate } from '../../api/auth/authenticate';
import { PROBLEM_TYPE_BASE, type RateLimits, sweepIdleBuckets } from '../../api/http';
import { thingsApp } from '../support/things-app';
import { createUser, replicaApp, startWorld, type TestUser, type World } from './support/world';

let world: World;
let admin: TestUser;

beforeAll(async () => {
  world = await startWorld();
  admin = await createUser(world, { id: 'rl-admin', roles: ['admin'] });
});

afterAll(async () => {
  await world?.stop();
});

/** Another API instance on the world's database, like a second replica behind a load balancer. */
const replica = (limits: Partial<AppDeps>): Express => replicaApp(world, limits);

/** A write that passes authentication and is then refused as invalid (400): it changes nothing. */
const write = (app: Express, auth: { Authorization: string }) =>
  request(app).put('/users/me/delegation').set(auth).send({});
const read = (app: Express, auth: { Authorization: string }) => request(app).get('/users/me').set(auth);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function expect429(res: request.Response, retryAfter?: number) {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: `${PROBLEM_TYPE_BASE}too-many-requests`, status: 429 });
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  if (retryAfter !== undefined) expect(Number(res.headers['retry-after'])).toBe(retryAfter);
}

describe('buckets on a clock of our own', () => {
  /** GET and POST /things behind `authenticate` with its clock set to `clock.t`. */
  function clockedApp(limits: Partial<RateLimits>, clock: { t: number }): Express {
    const auth = authenticate(world.db, { limits, now: () => new Date(clock.t) });
    return thingsApp({ authenticate: auth.read, authenticateWrite: auth.write });
  }

  test('an exhausted bucket answers 429 with Retry-After, and refills evenly over the minute', async () => {
    const clock = { t: Date.now() };
    const app = clockedApp({ writesPerMinute: 2 }, clock);
    const u = await createUser(world, { id: 'rl-refill' });
    const post = () => request(app).post('/things').set(u.auth).send({});
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    expect429(await post(), 30); // one request every 30 s
    clock.t += 20_000;
    expect429(await post(), 10);
    clock.t += 10_000;
    expect((await post()).status).toBe(200);
    expect429(await post(), 30);
  });

  test('buckets that are full again are swept; buckets in use are kept', async () => {
    const idle = await createUser(world, { id: 'rl-idle' });
    const busy = await createUser(world, { id: 'rl-busy' });
    const past = clockedApp({}, { t: Date.parse('2000-01-01T00:00:00Z') });
    const future = clockedApp({}, { t: Date.now() + 3_600_000 });
    expect((await request(past).get('/things').set(idle.auth)).status).toBe(200);
    expect((await request(future).get('/things').set(busy.auth)).status).toBe(200);
    const keys = async () =>
      (
        await world.sql<{ key: string }[]>`
          SELECT key FROM rate_limit_buckets WHERE key IN (${`r:${idle.id}`}, ${`r:${busy.id}`})`
      ).map((r) => r.key);
    expect((await keys()).sort()).toEqual([`r:${busy.id}`, `r:${idle.id}`].sort());
    await sweepIdleBuckets(world.db);
    expect(await keys()).toEqual([`r:${busy.id}`]);
  });
});

describe('shared by API replicas', () => {
  test('write limits count per user across two app instances on one database', async () => {
    const [a, b] = [replica({ rateLimitPerMinute: 3 }), replica({ rateLimitPerMinute: 3 })];
    const u = await createUser(world, { id: 'rl-writer' });
    const other = await createUser(world, { id: 'rl-other-writer' });
    expect((await write(a, u.auth)).status).toBe(400);
    expect((await write(b, u.auth)).status).toBe(400);
    expect((await write(a, u.auth)).status).toBe(400);
    expect429(await write(b, u.auth));
    expect429(await write(a, u.auth));
    // Another user has a budget of their own, and reads are not writes.
    expect((await write(b, other.auth)).status).toBe(400);
    expect((await read(a, u.auth)).status).toBe(200);
  });

  test('minting a second token does not double the budget', async () => {
    const app = replica({ rateLimitPerMinute: 2 });
    const u = await createUser(world, { id: 'rl-minter' });
    const minted = await request(world.app).post(`/users/${u.id}/tokens`).set(admin.auth).send({});
    expect(minted.status).toBe(201);
    expect((await write(app, u.auth)).status).toBe(400);
    expect((await write(app, bearer(minted.body.token))).status).toBe(400);
    expect429(await write(app, u.auth));
    expect429(await write(app, bearer(minted.body.token)));
  });

  test('reads are limited per user, on a budget apart from writes', async () => {
    const [a, b] = [
      replica({ rateLimitReadsPerMinute: 3, rateLimitPerMinute: 3 }),
      replica({ rateLimitReadsPerMinute: 3, rateLimitPerMinute: 3 }),
    ];
    const u = await createUser(world, { id: 'rl-reader' });
    const other = await createUser(world, { id: 'rl-other-reader' });
    const started = Date.now();
    expect((await read(a, u.auth)).status).toBe(200);
    expect((await read(b, u.auth)).status).toBe(200);
    expect((await read(a, u.auth)).status).toBe(200);
    const limited = await read(b, u.auth);
    // 3 a minute: one every 20 s, counted from the first read (a slow machine has used some of it).
    expect429(limited);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(20 - (Date.now() - started) / 1000));
    expect((await request(a).get('/deals').set(u.auth)).status).toBe(429);
    expect((await write(a, u.auth)).status).toBe(400);
    expect((await read(b, other.auth)).status).toBe(200);
  });

  test('failed authentications are limited per client address; a good token still passes', async () => {
    const limits = { rateLimitFailedAuthPerMinute: 3, trustProxy: true };
    const [a, b] = [replica(limits), replica(limits)];
    const from = (n: number) => ({
      'X-Forwarded-For': `2001:db8:${world.ns.slice(0, 4)}:${world.ns.slice(4)}::${n}`,
    });
    const u = await createUser(world, { id: 'rl-victim' });
    const minted = await request(world.app).post('/users/me/tokens').set(u.auth).send({});
    expect((await request(world.app).delete(`/users/me/tokens/${minted.body.id}`).set(u.auth)).status).toBe(
      204,
    );

    const guess = (app: Express, n = 1, token = 'ltc_guessed') =>
      request(app).get('/users/me').set(from(n)).set(bearer(token));
    expect((await guess(a)).status).toBe(401);
    expect((await guess(b)).status).toBe(401);
    const revoked = await guess(a, 1, minted.body.token);
    expect(revoked.status).toBe(401);
    expect(revoked.body.detail).toMatch(/revoked/);
    expect429(await guess(b), 20);
    expect429(await guess(a, 1, minted.body.token));
    // A good token from that address is served: the address may be an office shared by many.
    const good = await request(b).get('/users/me').set(from(1)).set(u.auth);
    expect(good.status).toBe(200);
    expect(good.body.id).toBe(u.id);
    // No token at all guesses nothing: 401 as always.
    expect((await request(a).get('/users/me').set(from(1))).status).toBe(401);
    // Another address has its own budget.
    expect((await guess(a, 2)).status).toBe(401);
  });
});
