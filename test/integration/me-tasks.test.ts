/**
 * GET /me/tasks: the sign-offs waiting on the caller (as holder or active delegate), read from the
 * deals projection, soonest due first.
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

/** One stage due one second after entry: overdue almost at once (no escalation, no auto action). */
const quick: ProcessDefinition = {
  key: 'tasks-quick',
  name: { en: 'Quick', zh: '快速' },
  stages: [
    {
      key: 'rush',
      name: { en: 'Rush review', zh: '加急评审' },
      approvers: ['AR', 'SR'],
      rule: 'all',
      sla: { within: '1s' },
      weights: { AR: 0.5, SR: 0.5 },
    },
  ],
};

const hour: ProcessDefinition = {
  key: 'tasks-hour',
  name: { en: 'Hour', zh: '小时' },
  stages: [
    {
      key: 'review',
      name: { en: 'Review', zh: '评审' },
      approvers: ['AR', 'FR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 0.5, FR: 0.5 },
    },
    {
      key: 'close',
      name: { en: 'Close', zh: '关闭' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 1 },
    },
  ],
};

const day: ProcessDefinition = {
  key: 'tasks-day',
  name: { en: 'Day', zh: '天' },
  stages: [
    {
      key: 'lead',
      name: { en: 'Lead', zh: '线索' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1d' },
      weights: { AR: 1 },
    },
  ],
};

interface Task {
  dealId: string;
  title: string;
  stage: string;
  stageName: { en: string; zh: string };
  role: string;
  onBehalfOfId: string | null;
  dueAt: string | null;
  overdue: boolean;
}

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let delegate: TestUser;
let stranger: TestUser;
const keys: Record<string, string> = {};
const deals: Record<'quick' | 'hour' | 'day', { id: string; dueAt: string }> = {} as never;

const api = () => request(world.app);

interface Team {
  manager: TestUser;
  ar: TestUser;
  sr: TestUser;
  fr: TestUser;
}

async function createDeal(
  as: TestUser,
  process: string,
  title: string,
  triangle: { AR: string; SR: string; FR: string },
) {
  const res = await api()
    .post('/deals')
    .set(as.auth)
    .send({
      title,
      account: { name: 'Pearl River Water' },
      value: { amount: 5000, currency: 'CNY' },
      triangle,
      process: { key: process },
    });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, dueAt: res.body.stage.dueAt as string };
}

/**
 * The scene the tests read: three deals waiting on the team's AR (created slowest-due first, so due
 * order differs from creation order), the delegate holding FR on the hour deal, and covering the SR.
 */
async function openTasks(team: Team, absentCover: TestUser, tag = ''): Promise<typeof deals> {
  const day = await createDeal(team.manager, keys['tasks-day'], `Day deal ${tag}${world.ns}`, {
    AR: team.ar.id,
    SR: team.sr.id,
    FR: team.fr.id,
  });
  // The delegate holds FR here themselves.
  const hour = await createDeal(team.manager, keys['tasks-hour'], `Hour deal ${tag}${world.ns}`, {
    AR: team.ar.id,
    SR: team.sr.id,
    FR: absentCover.id,
  });
  const quickDeal = await createDeal(team.manager, keys['tasks-quick'], `Quick deal ${tag}${world.ns}`, {
    AR: team.ar.id,
    SR: team.sr.id,
    FR: team.fr.id,
  });
  // SR is out of office; the delegate covers.
  const now = Date.now();
  const put = await api()
    .put('/users/me/delegation')
    .set(team.sr.auth)
    .send({
      delegateId: absentCover.id,
      from: new Date(now - 60_000).toISOString(),
      until: new Date(now + 3_600_000).toISOString(),
    });
  expect(put.status).toBe(200);
  return { day, hour, quick: quickDeal };
}

/** A team of its own with the same scene, for a test that changes it (the others read the shared one). */
async function ownScene(tag: string) {
  const manager = await createUser(world, { id: `${tag}-manager`, roles: ['manager'] });
  const team: Team = {
    manager,
    ar: await createUser(world, { id: `${tag}-ar`, managerId: manager.id }),
    sr: await createUser(world, { id: `${tag}-sr`, managerId: manager.id, locale: 'zh' }),
    fr: await createUser(world, { id: `${tag}-fr`, managerId: manager.id }),
  };
  const cover = await createUser(world, { id: `${tag}-delegate` });
  return { org: team, delegate: cover, deals: await openTasks(team, cover, `${tag} `) };
}

async function tasksOf(who: TestUser, query: Record<string, string | number> = {}): Promise<Task[]> {
  const res = await api().get('/me/tasks').query(query).set(who.auth);
  expect(res.status).toBe(200);
  return res.body.items;
}

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  delegate = await createUser(world, { id: 'delegate' });
  stranger = await createUser(world, { id: 'stranger' });
  for (const def of [quick, hour, day]) keys[def.key] = (await applyDefinition(world, def)).key;

  Object.assign(deals, await openTasks(org, delegate));
});

afterAll(async () => {
  await world?.stop();
});

test('the holder’s tasks, soonest due first, with stage names from the definition', async () => {
  const tasks = await tasksOf(org.ar);
  expect(tasks.map((t) => t.dealId)).toEqual([deals.quick.id, deals.hour.id, deals.day.id]);
  expect(tasks[1]).toEqual({
    dealId: deals.hour.id,
    title: `Hour deal ${world.ns}`,
    stage: 'review',
    stageName: { en: 'Review', zh: '评审' },
    role: 'AR',
    onBehalfOfId: null,
    dueAt: deals.hour.dueAt,
    overdue: false,
  });
  expect(tasks[0]).toMatchObject({
    stage: 'rush',
    stageName: { en: 'Rush review', zh: '加急评审' },
    role: 'AR',
  });
  expect(tasks[2]).toMatchObject({ stage: 'lead', stageName: { en: 'Lead', zh: '线索' }, role: 'AR' });
  const dues = tasks.map((t) => Date.parse(t.dueAt!));
  expect(dues).toEqual([...dues].sort((a, b) => a - b));
});

test('a stage past its due time is flagged overdue', async () => {
  const tasks = await eventually(async () => {
    const t = await tasksOf(org.ar);
    return t[0]?.overdue ? t : undefined;
  });
  expect(Date.parse(tasks[0].dueAt!)).toBeLessThan(Date.now());
  expect(tasks.map((t) => [t.dealId, t.overdue])).toEqual([
    [deals.quick.id, true],
    [deals.hour.id, false],
    [deals.day.id, false],
  ]);
});

test('the delegate sees their own task and the absent holder’s, marked on behalf of the holder', async () => {
  // (once the quick deal is past its due time, one second after it started)
  const tasks = await eventually(async () => {
    const t = await tasksOf(delegate);
    return t[0]?.overdue ? t : undefined;
  });
  expect(tasks).toEqual([
    expect.objectContaining({
      dealId: deals.quick.id,
      stage: 'rush',
      role: 'SR',
      onBehalfOfId: org.sr.id,
      overdue: true,
    }),
    expect.objectContaining({ dealId: deals.hour.id, stage: 'review', role: 'FR', onBehalfOfId: null }),
  ]);
  // The holder still sees their own task too.
  expect(await tasksOf(org.sr)).toEqual([
    expect.objectContaining({ dealId: deals.quick.id, role: 'SR', onBehalfOfId: null }),
  ]);
});

test('people nothing waits on have no tasks; the manager is not a signer here', async () => {
  expect(await tasksOf(stranger)).toEqual([]);
  expect(await tasksOf(org.manager)).toEqual([]);
  expect(await tasksOf(org.ops)).toEqual([]);
});

test('pages follow the same order', async () => {
  // The quick deal turns overdue one second after it started: page through the settled list, not
  // one that may change between the reads (alone, this test runs within that second).
  const all = await eventually(async () => {
    const t = await tasksOf(org.ar);
    return t[0]?.overdue ? t : undefined;
  });
  const paged: Task[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: request.Response = await api()
      .get('/me/tasks')
      .query({ limit: 1, ...(cursor ? { cursor } : {}) })
      .set(org.ar.auth);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(1);
    paged.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  expect(paged).toEqual(all);
  expect(pages).toBe(3);
});

test('401 without a token; 400 for a bad cursor or limit', async () => {
  expect((await api().get('/me/tasks')).status).toBe(401);
  const forge = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const cursors = [
    'bm9wZQ',
    '!!',
    forge({ due: 'tomorrow', dealId: 'a', role: 'AR', userId: 'u' }),
    forge({ due: '2026-02-30 00:00:00+00', dealId: 'a', role: 'AR', userId: 'u' }),
    forge({ due: null, dealId: 'a\u0000', role: 'AR', userId: 'u' }),
    forge({ due: '1', dealId: 'a' }),
  ];
  for (const c of cursors) {
    const res = await api().get('/me/tasks').query({ cursor: c }).set(org.ar.auth);
    expect({ c, status: res.status }).toEqual({ c, status: 400 });
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.cursor']);
  }
  const limit = await api().get('/me/tasks').query({ limit: 500 }).set(org.ar.auth);
  expect(limit.status).toBe(400);
  expect(limit.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.limit']);
});

test('tasks disappear once signed, for the holder and the delegate alike', async () => {
  const { org, delegate, deals } = await ownScene('signed');
  // The delegate signs SR on the quick deal for the absent SR.
  const bySr = await api()
    .post(`/deals/${deals.quick.id}/signoffs`)
    .set(delegate.auth)
    .send({ stage: 'rush', role: 'SR', decision: 'approve' });
  expect(bySr.status).toBe(200);
  expect((await tasksOf(delegate)).map((t) => [t.dealId, t.role])).toEqual([[deals.hour.id, 'FR']]);
  expect(await tasksOf(org.sr)).toEqual([]);
  // AR's task on the quick deal is still open.
  expect((await tasksOf(org.ar)).map((t) => t.dealId)).toEqual([deals.quick.id, deals.hour.id, deals.day.id]);

  // AR signs the hour deal's review; it still waits on FR (the delegate), not on AR.
  const byAr = await api()
    .post(`/deals/${deals.hour.id}/signoffs`)
    .set(org.ar.auth)
    .send({ stage: 'review', decision: 'approve' });
  expect(byAr.status).toBe(200);
  expect((await tasksOf(org.ar)).map((t) => t.dealId)).toEqual([deals.quick.id, deals.day.id]);
  expect((await tasksOf(delegate)).map((t) => [t.dealId, t.role])).toEqual([[deals.hour.id, 'FR']]);

  // FR signs: the review gate passes and the deal moves to `close`, which waits on AR again.
  const byFr = await api()
    .post(`/deals/${deals.hour.id}/signoffs`)
    .set(delegate.auth)
    .send({ stage: 'review', decision: 'approve' });
  expect(byFr.status).toBe(200);
  expect(await tasksOf(delegate)).toEqual([]);
  const arTasks = await eventually(async () => {
    const t = await tasksOf(org.ar);
    return t.some((x) => x.stage === 'close') ? t : undefined;
  });
  expect(arTasks.map((t) => [t.dealId, t.stage])).toEqual([
    [deals.quick.id, 'rush'],
    [deals.hour.id, 'close'],
    [deals.day.id, 'lead'],
  ]);
  expect(arTasks[1].stageName).toEqual({ en: 'Close', zh: '关闭' });

  // Completing and cancelling take tasks away too.
  const byAr2 = await api()
    .post(`/deals/${deals.quick.id}/signoffs`)
    .set(org.ar.auth)
    .send({ stage: 'rush', decision: 'approve' });
  expect(byAr2.status).toBe(200);
  const cancel = await api()
    .post(`/deals/${deals.day.id}/cancel`)
    .set(org.manager.auth)
    .send({ reason: 'customer went elsewhere' });
  expect(cancel.status).toBe(200);
  const left = await eventually(async () => {
    const t = await tasksOf(org.ar);
    return t.length === 1 ? t : undefined;
  });
  expect(left.map((t) => [t.dealId, t.stage])).toEqual([[deals.hour.id, 'close']]);
});

test('a task on hold is not a task', async () => {
  const { org, deals } = await ownScene('held');
  const hold = await api()
    .post(`/deals/${deals.hour.id}/hold`)
    .set(org.manager.auth)
    .send({ reason: 'waiting for the budget' });
  expect(hold.status).toBe(200);
  expect((await tasksOf(org.ar)).map((t) => t.dealId)).toEqual([deals.quick.id, deals.day.id]);
  const resume = await api().post(`/deals/${deals.hour.id}/resume`).set(org.manager.auth);
  expect(resume.status).toBe(200);
  expect((await tasksOf(org.ar)).map((t) => t.dealId)).toEqual([deals.quick.id, deals.hour.id, deals.day.id]);
});
