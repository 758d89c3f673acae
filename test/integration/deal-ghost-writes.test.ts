/**
 * A "ghost" write (its local activity committed, its workflow task never completed because the worker
 * died) loses to the workflow: the workflow's later write at the seq or event key the ghost used
 * replaces the ghost's rows, so no acknowledged command loses its event and the timeline has no gap.
 * The ghost rows are planted directly in Postgres, which is what a killed worker leaves behind.
 *
 * A LATE ghost (a superseded task attempt on a live but stalled worker, whose write commits after the
 * real one) is fenced: the workflow stamps every write with its time (which grows strictly across
 * task attempts), and a write that meets rows with a higher fence is the ghost and changes nothing.
 * That write is the real activity code run against Postgres (a ghost is, by definition, what Temporal
 * never recorded), with only its logger provided.
 */
import { asyncLocalStorage, type Context } from '@temporalio/activity';
import { createDealRecordActivities } from '../../activities/deal-records';
import type { RecordInput } from '../../activities/types';
import type { DealProjection } from '../../domain/deal/records';
import type { ProcessDefinition } from '../../domain/process/types';
import { dealQuery, workflowIdForDeal } from '../../workflows/messages';
import { dealApi } from './support/api';
import { soloStage, stage } from './support/process';
import {
  applyDefinition,
  createOrg,
  startWorld,
  triangleOf,
  untilQuiescent,
  type World,
} from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let processKey: string;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
  const def: ProcessDefinition = {
    key: 'ghost',
    name: { en: 'Ghost', zh: '幽灵' },
    stages: [stage('first'), soloStage('second')],
  };
  processKey = (await applyDefinition(world, def)).key;
});

afterAll(async () => {
  await world?.stop();
});

async function newDeal(): Promise<string> {
  const res = await api.createOn(org.manager, processKey, triangleOf(org), { title: `Ghost ${world.ns}` });
  expect(res.status).toBe(201);
  const id = res.body.id as string;
  await api.waitFor(org.manager, id, { stage: 'first' });
  await untilQuiescent(world, [id]);
  return id;
}

async function maxSeq(id: string): Promise<number> {
  const [row] = await world.sql<{ n: number }[]>`
    select coalesce(max(seq), 0)::int as n from deal_events where deal_id = ${id}`;
  return row.n;
}

async function events(id: string) {
  return world.sql<{ seq: number; event_key: string; type: string; actor_id: string }[]>`
    select seq, event_key, type, actor_id from deal_events where deal_id = ${id} order by seq`;
}

/** What a killed worker leaves: an event (and optionally a sign-off and the projection) nobody recorded. */
async function plantGhost(
  id: string,
  ghost: { seq: number; key: string; role?: 'AR' | 'SR' | 'FR'; userId?: string; bumpProjection?: boolean },
) {
  await world.sql`
    insert into deal_events (deal_id, seq, event_key, type, at, stage, actor_id, data)
    values (${id}, ${ghost.seq}, ${ghost.key}, ${ghost.role ? 'signoff.approved' : 'deal.held'}, now(), 'first',
      ${ghost.userId ?? org.manager.id}, ${JSON.stringify(ghost.role ? { role: ghost.role } : {})}::jsonb)`;
  if (ghost.role && ghost.userId) {
    await world.sql`
      insert into signoffs (deal_id, stage_key, visit, role, user_id, actor_id, decision, comment, at)
      values (${id}, 'first', 1, ${ghost.role}, ${ghost.userId}, ${ghost.userId}, 'approve', 'ghost', now())`;
  }
  if (ghost.bumpProjection) {
    await world.sql`
      update deals set projection_seq = ${ghost.seq}, status = 'on_hold', waiting_on = '[]'::jsonb
      where id = ${id}`;
  }
}

/** Seqs 1..max, each once: no gap. */
async function expectNoGaps(id: string) {
  const seqs = (await events(id)).map((e) => e.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
}

/** The projection (GET /deals/:id and deals.projection_seq) is what the workflow holds. */
async function expectProjectionIsWorkflow(id: string) {
  await untilQuiescent(world, [id]);
  const view = await world.client.workflow.getHandle(workflowIdForDeal(id)).query(dealQuery);
  const got = (await api.get(org.manager, id)).body;
  const [row] = await world.sql<{ seq: number }[]>`select projection_seq as seq from deals where id = ${id}`;
  const sign = (s: {
    role: string;
    userId: string;
    actorId: string;
    decision: string;
    comment?: string | null;
  }) => ({
    role: s.role,
    userId: s.userId,
    actorId: s.actorId,
    decision: s.decision,
    comment: s.comment ?? null,
  });
  expect({
    seq: row.seq,
    status: got.status,
    stage: got.stage.key,
    visit: got.stage.visit,
    waitingOn: got.stage.waitingOn,
    signoffs: got.stage.signoffs.map(sign),
  }).toEqual({
    seq: view.seq,
    status: view.status,
    stage: view.stage?.key,
    visit: view.stage?.visit,
    waitingOn: view.stage?.waitingOn,
    signoffs: (view.stage?.signoffs ?? []).map(sign),
  });
  expect(await maxSeq(id)).toBe(view.seq);
}

test('a ghost at the next seq loses to the sign-off written there; a retried sign-off changes nothing', async () => {
  const id = await newDeal();
  const n = await maxSeq(id);
  const bogus = `ghost-${world.ns}-1`;
  // The ghost of an AR sign-off the workflow never recorded, with other content, and its projection.
  await plantGhost(id, { seq: n + 1, key: bogus, bumpProjection: true });
  await world.sql`
    insert into signoffs (deal_id, stage_key, visit, role, user_id, actor_id, decision, comment, at)
    values (${id}, 'first', 1, 'AR', ${org.ar.id}, ${org.ar.id}, 'reject', 'ghost', now())`;

  const retryKey = { 'Idempotency-Key': `ghost-${world.ns}-ar` };
  const signed = await api.sign(org.ar, id, { stage: 'first', comment: 'real' }, retryKey);
  expect(signed.status).toBe(200);
  await untilQuiescent(world, [id]);

  const rows = await events(id);
  expect(rows.find((e) => e.seq === n + 1)).toMatchObject({ type: 'signoff.approved', actor_id: org.ar.id });
  expect(rows.some((e) => e.event_key === bogus)).toBe(false);
  await expectNoGaps(id);
  const so = await world.sql`
    select decision, comment from signoffs where deal_id = ${id} and stage_key = 'first' and role = 'AR'`;
  expect(so).toEqual([{ decision: 'approve', comment: 'real' }]);
  await expectProjectionIsWorkflow(id);

  // The identical sign-off again: no new row, nothing rewritten.
  const before = {
    events: await events(id),
    signoffs: await world.sql`select * from signoffs where deal_id = ${id}`,
  };
  const again = await api.sign(org.ar, id, { stage: 'first', comment: 'real' }, retryKey);
  expect(again.status).toBe(200);
  await untilQuiescent(world, [id]);
  expect({
    events: await events(id),
    signoffs: await world.sql`select * from signoffs where deal_id = ${id}`,
  }).toEqual(before);
  await expectProjectionIsWorkflow(id);
});

test('a ghost that used the event key of a later write at a lower seq: both writes land, no gap', async () => {
  const id = await newDeal();
  const n = await maxSeq(id);
  // SR's sign-off committed as a ghost at n+1; its Update is redelivered after AR's.
  await plantGhost(id, {
    seq: n + 1,
    key: 'first:1:signoff:SR',
    role: 'SR',
    userId: org.sr.id,
    bumpProjection: true,
  });

  expect((await api.sign(org.ar, id, { stage: 'first' })).status).toBe(200);
  expect((await api.sign(org.sr, id, { stage: 'first', comment: 'after AR' })).status).toBe(200);
  await untilQuiescent(world, [id]);

  const rows = await events(id);
  expect(rows.filter((e) => e.seq > n).map((e) => [e.seq, e.event_key, e.actor_id])).toEqual([
    [n + 1, 'first:1:signoff:AR', org.ar.id],
    [n + 2, 'first:1:signoff:SR', org.sr.id],
  ]);
  await expectNoGaps(id);
  const so = await world.sql`
    select role, comment from signoffs where deal_id = ${id} and stage_key = 'first' order by role`;
  expect(so).toEqual([
    { role: 'AR', comment: null },
    { role: 'SR', comment: 'after AR' },
  ]);
  await expectProjectionIsWorkflow(id);
});

test('a ghost that used the event key of a write at a seq past it is replaced too', async () => {
  const id = await newDeal();
  const n = await maxSeq(id);
  await plantGhost(id, { seq: n + 5, key: 'first:1:signoff:AR', role: 'AR', userId: org.ar.id });

  expect((await api.sign(org.ar, id, { stage: 'first' })).status).toBe(200);
  await untilQuiescent(world, [id]);

  const rows = await events(id);
  expect(rows.filter((e) => e.seq > n).map((e) => [e.seq, e.event_key])).toEqual([
    [n + 1, 'first:1:signoff:AR'],
  ]);
  await expectNoGaps(id);
  await expectProjectionIsWorkflow(id);
});

test('a ghost at the same seq and key with other content (a redelivered command) takes the workflow’s content', async () => {
  const id = await newDeal();
  const n = await maxSeq(id);
  // The ghost says the manager signed for the AR; the workflow records the AR signing.
  await world.sql`
    insert into deal_events (deal_id, seq, event_key, type, at, stage, actor_id, data)
    values (${id}, ${n + 1}, 'first:1:signoff:AR', 'signoff.rejected', now() - interval '1 minute', 'first',
      ${org.manager.id}, '{"role":"AR"}'::jsonb)`;

  expect((await api.sign(org.ar, id, { stage: 'first' })).status).toBe(200);
  await untilQuiescent(world, [id]);

  const rows = await events(id);
  expect(rows.filter((e) => e.seq > n).map((e) => [e.seq, e.event_key, e.type, e.actor_id])).toEqual([
    [n + 1, 'first:1:signoff:AR', 'signoff.approved', org.ar.id],
  ]);
  await expectNoGaps(id);
  await expectProjectionIsWorkflow(id);
});

/** The deal's `deals` row as a projection (what a write carries). */
async function projectionOf(id: string): Promise<DealProjection> {
  const [d] = await world.sql<Record<string, unknown>[]>`select * from deals where id = ${id}`;
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    projectionSeq: d.projection_seq as number,
    status: d.status as string,
    value: { amount: Number(d.value_amount), currency: d.currency as string } as DealProjection['value'],
    triangle: { AR: d.ar_id as string, SR: d.sr_id as string, FR: d.fr_id as string },
    stageKey: d.stage_key as string | null,
    stageIndex: d.stage_index as number | null,
    stageVisit: d.stage_visit as number | null,
    stageEnteredAt: iso(d.stage_entered_at),
    dueAt: iso(d.due_at),
    escalationLevel: d.escalation_level as number,
    required: d.required as DealProjection['required'],
    waitingOn: d.waiting_on as DealProjection['waitingOn'],
    pendingUserIds: d.pending_user_ids as string[],
    participantIds: d.participant_ids as string[],
    closedAt: iso(d.closed_at),
  };
}

/** Everything a write can change for the deal. */
async function dealRows(id: string) {
  return {
    events: await world.sql`select * from deal_events where deal_id = ${id} order by seq`,
    signoffs: await world.sql`select * from signoffs where deal_id = ${id} order by stage_key, visit, role`,
    deal: await world.sql`select * from deals where id = ${id}`,
    visits: await world.sql`select * from stage_visits where deal_id = ${id} order by stage_key, visit`,
    notifications: await world.sql`select id from notifications where deal_id = ${id} order by id`,
  };
}

/** Run the real recordDeal activity outside a worker (a ghost's write), with a logger that keeps its warnings. */
/** A manager's hold at `seq`, as a write's event. */
function holdEvent(seq: number, key: string, at: string): RecordInput['events'][number] {
  return {
    seq,
    key,
    type: 'deal.on_hold',
    at,
    stage: 'first',
    actorId: org.manager.id,
    onBehalfOfId: null,
    data: {},
  };
}

async function ghostWrite(input: RecordInput, opts: { deliveries?: boolean } = {}) {
  const warnings: string[] = [];
  const keep = (message: string) => warnings.push(message);
  const logger = { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: keep, error: keep };
  const activities = createDealRecordActivities({
    db: world.db,
    publicUrl: 'http://ghost.invalid',
    // A command's write (deferDelivery) hands its outbox ids back to the workflow, which starts the
    // deliveries: the starter is never called here, it only has to exist.
    ...(opts.deliveries ? { onNotified: async () => {} } : {}),
  });
  const result = await asyncLocalStorage.run({ log: logger } as unknown as Context, () =>
    activities.recordDeal(input),
  );
  return { result, warnings };
}

test('a late ghost (older fence) committing after the real write changes nothing; the deal carries on', async () => {
  const id = await newDeal();
  const n = await maxSeq(id);
  const before = await projectionOf(id);
  // The real attempt: AR signs.
  expect((await api.sign(org.ar, id, { stage: 'first', comment: 'real' })).status).toBe(200);
  await untilQuiescent(world, [id]);
  const [real] = await world.sql<{ fence: string | null }[]>`
    select fence from deal_events where deal_id = ${id} and seq = ${n + 1}`;
  expect(real.fence).not.toBeNull();
  const fence = Number(real.fence);
  const rows = await dealRows(id);

  // The superseded attempt (on a stalled worker, started before the real one) had taken SR's
  // sign-off at the same seq, and a hold after it; its write lands only now.
  const at = new Date().toISOString();
  const late = await ghostWrite({
    dealId: id,
    events: [
      {
        seq: n + 1,
        key: 'first:1:signoff:SR',
        type: 'signoff.rejected',
        at,
        stage: 'first',
        actorId: org.sr.id,
        onBehalfOfId: null,
        data: { role: 'SR' },
      },
      holdEvent(n + 2, `late-ghost-${world.ns}`, at),
    ],
    deal: { ...before, projectionSeq: n + 2, status: 'on_hold', waitingOn: [] },
    signoffs: [
      {
        stageKey: 'first',
        visit: 1,
        role: 'SR',
        userId: org.sr.id,
        actorId: org.sr.id,
        decision: 'reject',
        comment: 'late ghost',
        at,
      },
      {
        stageKey: 'first',
        visit: 1,
        role: 'AR',
        userId: org.ar.id,
        actorId: org.ar.id,
        decision: 'reject',
        comment: 'late ghost',
        at,
      },
    ],
    fence: fence - 1,
  });
  expect(late.result).toEqual({ deferred: [], written: [] });
  expect(late.warnings.join('\n')).toMatch(/late ghost/);
  expect(await dealRows(id)).toEqual(rows);
  await expectNoGaps(id);
  await expectProjectionIsWorkflow(id);

  // The deal carries on at the next seq.
  expect((await api.sign(org.sr, id, { stage: 'first' })).status).toBe(200);
  await untilQuiescent(world, [id]);
  const after = await events(id);
  expect(
    after
      .filter((e) => e.seq > n)
      .slice(0, 2)
      .map((e) => [e.seq, e.event_key, e.actor_id]),
  ).toEqual([
    [n + 1, 'first:1:signoff:AR', org.ar.id],
    [n + 2, 'first:1:signoff:SR', org.sr.id],
  ]);
  await expectNoGaps(id);
  await expectProjectionIsWorkflow(id);
});

test('two attempts of one task raced: the one the workflow records is found stale, and still hands over its outbox rows', async () => {
  const id = await newDeal();
  const n = await maxSeq(id);
  const before = await projectionOf(id);
  const at = new Date().toISOString();
  const write = (fence: number): RecordInput => ({
    dealId: id,
    events: [holdEvent(n + 1, `raced-${world.ns}`, at)],
    deal: { ...before, projectionSeq: n + 1, status: 'on_hold', waitingOn: [] },
    notify: [
      {
        kind: 'status',
        event: 'deal.on_hold',
        dedupe: `raced-${world.ns}`,
        userIds: [org.ar.id, org.sr.id],
        stage: 'first',
        data: { dealTitle: `Ghost ${world.ns}` },
      },
    ],
    deferDelivery: true,
    fence,
  });
  const fence = Date.now();
  // A chaos run: the attempt whose result was lost committed first with the later fence (12 ms)...
  const lost = await ghostWrite(write(fence + 12), { deliveries: true });
  expect(lost.result.deferred).toHaveLength(2);
  // ...then the attempt the workflow recorded is found stale: it changes nothing, yet its outbox rows
  // (stored by the other, same ids) go back to the workflow for delivery, or nobody would send them.
  const recorded = await ghostWrite(write(fence), { deliveries: true });
  expect(recorded.warnings.join('\n')).toMatch(/late ghost/);
  expect(recorded.result.written).toEqual([]);
  expect([...recorded.result.deferred].sort()).toEqual([...lost.result.deferred].sort());
  const stored = await world.sql<{ id: string }[]>`
    select id from notifications where deal_id = ${id} and dedupe_key like ${`%raced-${world.ns}%`}`;
  expect(stored.map((r) => r.id).sort()).toEqual([...lost.result.deferred].sort());
});

test('an early ghost with a fence still loses to the workflow’s later write (higher fence)', async () => {
  const id = await newDeal();
  const n = await maxSeq(id);
  const before = await projectionOf(id);
  // A ghost from an attempt one second in the past: its write lands first.
  const early = await ghostWrite({
    dealId: id,
    events: [
      {
        seq: n + 1,
        key: `early-ghost-${world.ns}`,
        type: 'deal.on_hold',
        at: new Date().toISOString(),
        stage: 'first',
        actorId: org.manager.id,
        onBehalfOfId: null,
        data: {},
      },
    ],
    deal: { ...before, projectionSeq: n + 1, status: 'on_hold', waitingOn: [] },
    fence: Date.now() - 1000,
  });
  expect(early.result.written).toEqual(['deal.on_hold']);

  expect((await api.sign(org.ar, id, { stage: 'first' })).status).toBe(200);
  await untilQuiescent(world, [id]);
  const rows = await events(id);
  expect(rows.filter((e) => e.seq > n).map((e) => [e.seq, e.event_key])).toEqual([
    [n + 1, 'first:1:signoff:AR'],
  ]);
  await expectNoGaps(id);
  await expectProjectionIsWorkflow(id);
});
