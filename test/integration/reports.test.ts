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

/**
 * Three stages; `bid` is due after 1 s and escalates to the pending signers' manager at once, so
 * every visit of it that we wait out is breached and escalated exactly once.
 */
const reportFlow: ProcessDefinition = {
  key: 'reports',
  name: { en: 'Reports flow', zh: '报表流程' },
  // Team B is one person (rep-b holds every role of its deal).
  separationOfDuties: {
    allowSamePerson: [
      ['AR', 'SR'],
      ['AR', 'FR'],
      ['SR', 'FR'],
    ],
  },
  stages: [
    {
      key: 'qualify',
      name: { en: 'Qualify', zh: '资格审查' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 0.5, SR: 0.5 },
      onReject: 'lost',
    },
    {
      key: 'bid',
      name: { en: 'Bid decision', zh: '投标决策' },
      gate: 'ATB',
      approvers: ['AR', 'SR'],
      rule: 'all',
      sla: { within: '1s', escalate: [{ after: '0s', notify: ['manager'] }] },
      weights: { AR: 0.4, SR: 0.4, FR: 0.2 },
      onReject: 'qualify',
    },
    {
      key: 'close',
      name: { en: 'Close', zh: '关闭' },
      approvers: ['FR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 0.2, SR: 0.2, FR: 0.6 },
    },
  ],
};

const QUALIFY = {
  stageKey: 'qualify',
  stageIndex: 0,
  stageName: { en: 'Qualify', zh: '资格审查' },
  gate: null,
};
const BID = {
  stageKey: 'bid',
  stageIndex: 1,
  stageName: { en: 'Bid decision', zh: '投标决策' },
  gate: 'ATB',
};
const CLOSE = { stageKey: 'close', stageIndex: 2, stageName: { en: 'Close', zh: '关闭' }, gate: null };

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
/** Team A's second sales rep, who takes over SR of deal 1 mid-way. */
let sr2: TestUser;
/** Team B: another manager and their member. */
let mgrB: TestUser;
let repB: TestUser;
let processKey: string;
/** Deal ids by name. */
const d: Record<string, string> = {};
let startedAt: Date;

type Triangle = { AR: string; SR: string; FR: string };

async function createDeal(by: TestUser, amount: number, currency: string, triangle: Triangle) {
  const res = await request(world.app)
    .post('/deals')
    .set(by.auth)
    .send({
      title: `Report deal ${amount} ${currency}`,
      account: { name: 'Guangzhou Metro' },
      value: { amount, currency },
      triangle,
      process: { key: processKey },
    });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function dealOf(id: string) {
  return (await request(world.app).get(`/deals/${id}`).set(org.ops.auth)).body;
}

async function sign(id: string, who: TestUser, stage: string) {
  const res = await request(world.app)
    .post(`/deals/${id}/signoffs`)
    .set(who.auth)
    .send({ stage, decision: 'approve' });
  expect(res.status).toBe(200);
}

const atStage = (id: string, stage: string) =>
  eventually(async () => (await dealOf(id)).stage?.key === stage, 30_000);
const escalated = (id: string) =>
  eventually(async () => (await dealOf(id)).stage?.escalationLevel >= 1, 30_000);
const completed = (id: string) => eventually(async () => (await dealOf(id)).status === 'completed', 30_000);

/** qualify (AR) → bid. */
async function toBid(id: string) {
  await sign(id, org.ar, 'qualify');
  await atStage(id, 'bid');
}

/** Wait out the bid SLA (breach + one escalation), then AR and SR sign → close. */
async function passBid(id: string, sr: TestUser) {
  await escalated(id);
  await sign(id, org.ar, 'bid');
  await sign(id, sr, 'bid');
  await atStage(id, 'close');
}

async function complete(id: string, fr: TestUser) {
  await sign(id, fr, 'close');
  await completed(id);
}

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  sr2 = await createUser(world, { id: 'sr2', managerId: org.manager.id });
  mgrB = await createUser(world, { id: 'mgr-b', roles: ['manager'] });
  repB = await createUser(world, { id: 'rep-b', managerId: mgrB.id });
  processKey = (await applyDefinition(world, reportFlow)).key;
  startedAt = new Date(Date.now() - 1000);
  const teamA = { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id };

  await Promise.all([
    // d1: completed; SR reassigned from sr to sr2 while at `bid` (holders at exit: qualify sr, bid+close sr2).
    (async () => {
      d.d1 = await createDeal(org.manager, 3000, 'CNY', teamA);
      await toBid(d.d1);
      const r = await request(world.app)
        .post(`/deals/${d.d1}/reassign`)
        .set(org.manager.auth)
        .send({ role: 'SR', userId: sr2.id, reason: 'sr moved to another account' });
      expect(r.status).toBe(200);
      expect(r.body.triangle.SR).toBe(sr2.id);
      await passBid(d.d1, sr2);
      await complete(d.d1, org.fr);
    })(),
    // d2: completed, in USD; its FR is team B's rep.
    (async () => {
      d.d2 = await createDeal(org.manager, 6000, 'USD', { ...teamA, FR: repB.id });
      await toBid(d.d2);
      await passBid(d.d2, org.sr);
      await complete(d.d2, repB);
    })(),
    // d3: completed.
    (async () => {
      d.d3 = await createDeal(org.manager, 1500, 'CNY', teamA);
      await toBid(d.d3);
      await passBid(d.d3, org.sr);
      await complete(d.d3, org.fr);
    })(),
    // d4, d5: active at qualify.
    (async () => {
      d.d4 = await createDeal(org.manager, 1000, 'CNY', teamA);
    })(),
    (async () => {
      d.d5 = await createDeal(org.manager, 2000, 'USD', teamA);
    })(),
    // d6: active at bid, overdue and escalated, SR signed: waits on AR only.
    (async () => {
      d.d6 = await createDeal(org.manager, 3000, 'CNY', teamA);
      await toBid(d.d6);
      await sign(d.d6, org.sr, 'bid');
      await escalated(d.d6);
    })(),
    // d7: active at close.
    (async () => {
      d.d7 = await createDeal(org.manager, 900, 'CNY', teamA);
      await toBid(d.d7);
      await passBid(d.d7, org.sr);
    })(),
    // b1: team B only, active at qualify.
    (async () => {
      d.b1 = await createDeal(mgrB, 500, 'CNY', { AR: repB.id, SR: repB.id, FR: repB.id });
    })(),
  ]);
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

const get = (path: string, who: TestUser, query: Record<string, string> = {}) =>
  request(world.app).get(path).set(who.auth).query(query);

/** A period around everything this file did. */
const period = () => ({ from: startedAt.toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

test('members get 403 and anonymous callers 401 on every report', async () => {
  for (const path of ['/reports/pipeline', '/reports/sla', '/reports/credit']) {
    const member = await get(path, org.ar);
    expect(member.status).toBe(403);
    expect(member.body.type).toBe('https://ltc.example/problems/forbidden');
    expect((await request(world.app).get(path)).status).toBe(401);
  }
});

describe('GET /reports/pipeline', () => {
  const teamAItems = [
    {
      processKey: '',
      ...QUALIFY,
      count: 2,
      values: [
        { currency: 'CNY', count: 1, total: 1000, weighted: 333.33 },
        { currency: 'USD', count: 1, total: 2000, weighted: 666.67 },
      ],
    },
    {
      processKey: '',
      ...BID,
      count: 1,
      values: [{ currency: 'CNY', count: 1, total: 3000, weighted: 2000 }],
    },
    {
      processKey: '',
      ...CLOSE,
      count: 1,
      values: [{ currency: 'CNY', count: 1, total: 900, weighted: 900 }],
    },
  ];
  const withKey = <T extends { processKey: string }>(items: T[]) => items.map((i) => ({ ...i, processKey }));

  test('active deals per stage and currency, weighted by stage progress, for the team’s managers', async () => {
    const res = await get('/reports/pipeline', org.manager, { processKey });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual(withKey(teamAItems));
    expect(Date.parse(res.body.asOf)).not.toBeNaN();

    // The director sees the same deals through the manager (transitive reporting line).
    const director = await get('/reports/pipeline', org.director, { processKey });
    expect(director.body.items).toEqual(withKey(teamAItems));

    // Without the filter, our process key's items are the same.
    const all = await get('/reports/pipeline', org.manager);
    expect(all.status).toBe(200);
    expect(all.body.items.filter((i: { processKey: string }) => i.processKey === processKey)).toEqual(
      withKey(teamAItems),
    );
  });

  test('ops see every deal; another team’s manager sees only their own', async () => {
    const ops = await get('/reports/pipeline', org.ops, { processKey });
    expect(ops.body.items).toEqual(
      withKey([
        {
          ...teamAItems[0],
          count: 3,
          values: [
            { currency: 'CNY', count: 2, total: 1500, weighted: 500 },
            { currency: 'USD', count: 1, total: 2000, weighted: 666.67 },
          ],
        },
        teamAItems[1],
        teamAItems[2],
      ]),
    );

    const teamB = await get('/reports/pipeline', mgrB, { processKey });
    expect(teamB.body.items).toEqual(
      withKey([
        {
          ...teamAItems[0],
          count: 1,
          values: [{ currency: 'CNY', count: 1, total: 500, weighted: 166.67 }],
        },
      ]),
    );

    const outsider = await get('/reports/pipeline', org.sdt, { processKey });
    expect(outsider.status).toBe(200);
    expect(outsider.body.items).toEqual([]);
  });

  test('a malformed processKey is a 400 on query.processKey', async () => {
    const res = await get('/reports/pipeline', org.ops, { processKey: 'Not A Key' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.processKey']);
  });
});

describe('GET /reports/sla', () => {
  /** percentile_cont, as Postgres computes it. */
  function percentile(sorted: number[], p: number): number {
    const pos = p * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return Math.round(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo));
  }

  /** Median and p90 per stage from the stage_visits rows of the given deals. */
  async function expectedDurations(dealIds: string[]) {
    const rows = await world.sql<{ stage_key: string; ms: string }[]>`
      select stage_key, (extract(epoch from (exited_at - entered_at)) * 1000)::text as ms
      from stage_visits where deal_id in ${world.sql(dealIds)} and outcome <> 'cancelled'`;
    const by = new Map<string, number[]>();
    for (const r of rows) by.set(r.stage_key, [...(by.get(r.stage_key) ?? []), Number(r.ms)]);
    const out: Record<string, { medianMs: number; p90Ms: number }> = {};
    for (const [k, v] of by) {
      v.sort((a, b) => a - b);
      out[k] = { medianMs: percentile(v, 0.5), p90Ms: percentile(v, 0.9) };
    }
    return out;
  }

  test('time in stage, breaches and escalations per stage; deals overdue now with who they wait on', async () => {
    const res = await get('/reports/sla', org.manager, { ...period(), processKey });
    expect(res.status).toBe(200);
    const durations = await expectedDurations([d.d1, d.d2, d.d3, d.d6, d.d7]);
    expect(res.body.stages).toEqual([
      { processKey, ...QUALIFY, visits: 5, ...durations.qualify, breaches: 0, escalations: 0 },
      { processKey, ...BID, visits: 4, ...durations.bid, breaches: 4, escalations: 5 },
      { processKey, ...CLOSE, visits: 3, ...durations.close, breaches: 0, escalations: 0 },
    ]);
    // Every bid visit was waited out past its 1 s SLA.
    expect(res.body.stages[1].medianMs).toBeGreaterThanOrEqual(1000);
    expect(res.body.stages[1].p90Ms).toBeGreaterThanOrEqual(res.body.stages[1].medianMs);

    expect(res.body.overdue).toEqual([
      {
        dealId: d.d6,
        title: 'Report deal 3000 CNY',
        accountName: 'Guangzhou Metro',
        value: { amount: 3000, currency: 'CNY' },
        processKey,
        stageKey: 'bid',
        stageName: BID.stageName,
        dueAt: expect.any(String),
        overdueMs: expect.any(Number),
        escalationLevel: 1,
        waitingOn: [{ role: 'AR', userId: org.ar.id, name: 'ar' }],
      },
    ]);
    expect(res.body.overdueTotal).toBe(1);
    const o = res.body.overdue[0];
    expect(o.overdueMs).toBeGreaterThan(0);
    expect(Date.parse(o.dueAt)).toBeLessThan(Date.parse(res.body.asOf));
    expect(res.body.from).toBe(period().from);
  });

  test('defaults to the last 30 days; a period with nothing in it has no stage rows but the same overdue deals', async () => {
    const byDefault = await get('/reports/sla', org.manager, { processKey });
    expect(byDefault.status).toBe(200);
    expect(Date.parse(byDefault.body.to) - Date.parse(byDefault.body.from)).toBe(30 * 24 * 3600 * 1000);
    expect(
      byDefault.body.stages.map((s: { visits: number; escalations: number }) => [s.visits, s.escalations]),
    ).toEqual([
      [5, 0],
      [4, 5],
      [3, 0],
    ]);

    const later = await get('/reports/sla', org.manager, {
      processKey,
      from: new Date(Date.now() + 3600_000).toISOString(),
      to: new Date(Date.now() + 7200_000).toISOString(),
    });
    expect(later.status).toBe(200);
    expect(later.body.stages).toEqual([]);
    expect(later.body.overdue.map((x: { dealId: string }) => x.dealId)).toEqual([d.d6]);
  });

  test('scoped: another team’s manager sees only the deal their member is on; an outsider sees nothing', async () => {
    const teamB = await get('/reports/sla', mgrB, { ...period(), processKey });
    const durations = await expectedDurations([d.d2]);
    expect(teamB.body.stages).toEqual([
      { processKey, ...QUALIFY, visits: 1, ...durations.qualify, breaches: 0, escalations: 0 },
      { processKey, ...BID, visits: 1, ...durations.bid, breaches: 1, escalations: 1 },
      { processKey, ...CLOSE, visits: 1, ...durations.close, breaches: 0, escalations: 0 },
    ]);
    expect(teamB.body.overdue).toEqual([]);

    const outsider = await get('/reports/sla', org.sdt, { ...period(), processKey });
    expect(outsider.body).toMatchObject({ stages: [], overdue: [], overdueTotal: 0 });

    // Ops see team A's numbers (team B's only deal here has no finished visit).
    const ops = await get('/reports/sla', org.ops, { ...period(), processKey });
    expect(ops.body.stages.map((s: { visits: number; breaches: number }) => [s.visits, s.breaches])).toEqual([
      [5, 0],
      [4, 4],
      [3, 0],
    ]);
    expect(ops.body.overdue.map((x: { dealId: string }) => x.dealId)).toEqual([d.d6]);
  });

  test('bad from/to are a 400 on query.from / query.to', async () => {
    const bad = await get('/reports/sla', org.manager, { from: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.from']);

    const badTo = await get('/reports/sla', org.manager, { to: '2025-13-01T00:00:00Z' });
    expect(badTo.status).toBe(400);
    expect(badTo.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.to']);

    const reversed = await get('/reports/sla', org.manager, {
      from: '2025-02-01T00:00:00Z',
      to: '2025-01-01T00:00:00Z',
    });
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors).toEqual([{ path: 'query.from', message: 'from must be before to' }]);

    // Offsets and plain dates are accepted.
    const ok = await get('/reports/sla', org.manager, {
      from: '2025-01-01',
      to: '2025-01-31T08:00:00+08:00',
      processKey,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-01-31T00:00:00.000Z',
      stages: [],
    });
  });
});

/**
 * The CNY rows of this file's deals. d1 CNY 3000 (1000 per stage): ar 500+400+200, fr 200+600,
 * sr 500 (qualify) and sr2 200 (close); SR's 400 at `bid` is split by how long each held it (sr
 * until the reassignment, sr2 after). d3 CNY 1500 (500 per stage): ar 550, sr 550, fr 400.
 */
async function cnyCredit() {
  const events = (await get(`/deals/${d.d1}/timeline`, org.ops, { limit: '200' })).body.items as {
    type: string;
    stage: string | null;
    at: string;
    data: { stage?: string };
  }[];
  const at = (pick: (e: (typeof events)[number]) => boolean) => Date.parse(events.find(pick)!.at);
  const entered = at((e) => e.type === 'stage.entered' && e.stage === 'bid');
  const handed = at((e) => e.type === 'role.reassigned');
  const exited = at((e) => e.type === 'stage.completed' && e.data.stage === 'bid');
  const share = (handed - entered) / (exited - entered);
  const cents = (x: number) => Math.round(x * 100) / 100;
  const rows = [
    { userId: org.ar.id, name: 'ar', currency: 'CNY', credit: 1650, deals: 2 },
    { userId: org.fr.id, name: 'fr', currency: 'CNY', credit: 1200, deals: 2 },
    { userId: org.sr.id, name: 'sr', currency: 'CNY', credit: cents(1050 + 400 * share), deals: 2 },
    { userId: sr2.id, name: 'sr2', currency: 'CNY', credit: cents(200 + 400 * (1 - share)), deals: 1 },
  ];
  return rows.sort((a, b) => b.credit - a.credit || (a.userId < b.userId ? -1 : 1));
}

/** Credits within a cent of the expected (each deal's share is rounded on its own). */
function expectCredit(items: { credit: number }[], expected: { credit: number }[]) {
  expect(items.map((i) => ({ ...i, credit: 0 }))).toEqual(expected.map((i) => ({ ...i, credit: 0 })));
  items.forEach((i, n) => {
    expect(Math.abs(i.credit - expected[n].credit)).toBeLessThanOrEqual(0.011);
  });
}

describe('GET /reports/credit', () => {
  test('credit per user and currency; a reassignment splits the role’s credit between its holders', async () => {
    const res = await get('/reports/credit', org.manager, { ...period(), processKey });
    expect(res.status).toBe(200);
    // d2 USD 6000 (2000 per stage): ar 2200, sr 2200, rep-b 1600 — not in this manager's scope.
    const expected = [
      ...(await cnyCredit()),
      { userId: org.ar.id, name: 'ar', currency: 'USD', credit: 2200, deals: 1 },
      { userId: org.sr.id, name: 'sr', currency: 'USD', credit: 2200, deals: 1 },
    ];
    expectCredit(res.body.items, expected);
    expect({ ...res.body, items: [] }).toEqual({
      items: [],
      nextCursor: null,
      ...period(),
      to: res.body.to,
    });

    // Without the process filter, our users have the same rows.
    const mine = new Set([org.ar.id, org.sr.id, org.fr.id, sr2.id, repB.id]);
    const unfiltered = await get('/reports/credit', org.manager, period());
    expect(unfiltered.body.items.filter((i: { userId: string }) => mine.has(i.userId))).toEqual(
      res.body.items,
    );
  });

  test('ops see everyone (credits add up to the deal values); another team’s manager only their member', async () => {
    const ops = await get('/reports/credit', org.ops, { ...period(), processKey });
    expectCredit(ops.body.items, [
      ...(await cnyCredit()),
      { userId: org.ar.id, name: 'ar', currency: 'USD', credit: 2200, deals: 1 },
      { userId: org.sr.id, name: 'sr', currency: 'USD', credit: 2200, deals: 1 },
      { userId: repB.id, name: 'rep-b', currency: 'USD', credit: 1600, deals: 1 },
    ]);
    const sum = (c: string) =>
      ops.body.items
        .filter((i: { currency: string }) => i.currency === c)
        .reduce((a: number, i: { credit: number }) => a + i.credit, 0);
    expect(sum('CNY')).toBeCloseTo(3000 + 1500, 1);
    expect(sum('USD')).toBe(6000);

    const teamB = await get('/reports/credit', mgrB, { ...period(), processKey });
    expect(teamB.body.items).toEqual([
      { userId: repB.id, name: 'rep-b', currency: 'USD', credit: 1600, deals: 1 },
    ]);

    const outsider = await get('/reports/credit', org.sdt, { ...period(), processKey });
    expect(outsider.status).toBe(200);
    expect(outsider.body.items).toEqual([]);
  });

  test('paged with limit and cursor: the pages add up to the whole report, in order', async () => {
    const query = { ...period(), processKey };
    const whole = await get('/reports/credit', org.ops, query);
    expect(whole.body.items).toHaveLength(7);
    expect(whole.body.nextCursor).toBeNull();

    const pages: unknown[][] = [];
    let cursor: string | null = null;
    do {
      const res = await get('/reports/credit', org.ops, {
        ...query,
        limit: '3',
        ...(cursor ? { cursor } : {}),
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ from: query.from, to: query.to });
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(whole.body.items);

    // The last page of an exact fit has no cursor.
    const exact = await get('/reports/credit', org.ops, { ...query, limit: '7' });
    expect(exact.body.items).toHaveLength(7);
    expect(exact.body.nextCursor).toBeNull();

    // A manager's pages stay within their scope.
    const first = await get('/reports/credit', org.manager, { ...query, limit: '4' });
    const second = await get('/reports/credit', org.manager, {
      ...query,
      limit: '4',
      cursor: first.body.nextCursor,
    });
    expect(
      [...first.body.items, ...second.body.items].map((i: { userId: string }) => i.userId),
    ).not.toContain(repB.id);
    expect(second.body.nextCursor).toBeNull();

    const bads: Record<string, string>[] = [
      { limit: '0' },
      { limit: '201' },
      { cursor: 'not a cursor' },
      { cursor: 'e30' },
    ];
    for (const bad of bads) {
      const res = await get('/reports/credit', org.ops, { ...query, ...bad });
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([
        bad.limit ? 'query.limit' : 'query.cursor',
      ]);
    }
  });

  test('only deals closed in the period count; bad dates are a 400', async () => {
    const later = await get('/reports/credit', org.ops, {
      processKey,
      from: new Date(Date.now() + 1000).toISOString(),
    });
    expect(later.status).toBe(400); // from after the default `to` (now)

    const future = await get('/reports/credit', org.ops, {
      processKey,
      from: new Date(Date.now() + 3600_000).toISOString(),
      to: new Date(Date.now() + 7200_000).toISOString(),
    });
    expect(future.status).toBe(200);
    expect(future.body.items).toEqual([]);

    const before = await get('/reports/credit', org.ops, {
      processKey,
      from: new Date(startedAt.getTime() - 3600_000).toISOString(),
      to: startedAt.toISOString(),
    });
    expect(before.body.items).toEqual([]);

    const byDefault = await get('/reports/credit', org.ops, { processKey });
    expect(byDefault.body.items).toHaveLength(7);

    const bad = await get('/reports/credit', org.ops, { from: '2025-01-01T00:00:00' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.from']);
  });
});
