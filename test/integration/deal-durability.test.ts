/**
 * Durability: a worker process killed mid-stage, Continue-As-New with carried state, idempotent
 * activities, and search attributes kept up to date.
 */
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import { deals } from '../../db/schema';
import type { ProcessDefinition } from '../../domain/process/types';
import type { DealWorkflowArgs } from '../../workflows/messages';
import { DEAL_WORKFLOW_TYPE, dealQuery, workflowIdForDeal } from '../../workflows/messages';
import { dealApi } from './support/api';
import { soloStage } from './support/process';
import { spawnWorkerProcess } from './support/worker-process';
import { applyDefinition, createOrg, eventually, startWorld, triangleOf, type World } from './support/world';

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

test('a worker killed mid-stage: a new one carries the deal on, with no duplicate rows', async () => {
  const def: ProcessDefinition = {
    key: 'kill',
    name: { en: 'Kill', zh: '宕机' },
    stages: [
      soloStage('one', { approvers: ['AR', 'SR'], weights: { AR: 0.5, SR: 0.5 } }),
      soloStage('two'),
      soloStage('three'),
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const created = await api.createOn(org.manager, key, triangleOf(org), {
    title: 'Kill test',
    value: { amount: 10, currency: 'USD' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;

  // Only a separate worker process serves the task queue now.
  await world.stopWorker();
  const child = spawnWorkerProcess(world);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  await eventually(async () => output.includes('worker ready'), 60_000);

  expect((await api.sign(org.ar, id, { stage: 'one' })).status).toBe(200);
  // Kill it without a chance to drain, mid-stage (SR still pending).
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  await world.startWorker();
  expect((await api.sign(org.sr, id, { stage: 'one' })).status).toBe(200);
  await api.waitFor(org.ar, id, { stage: 'two' });
  expect((await api.sign(org.ar, id, { stage: 'two' })).status).toBe(200);
  await api.waitFor(org.ar, id, { stage: 'three' });

  const events = await api.timeline(org.ar, id);
  expect(events.map((e) => e.type)).toEqual([
    'deal.created',
    'stage.entered',
    'signoff.approved',
    'signoff.approved',
    'stage.completed',
    'stage.entered',
    'signoff.approved',
    'stage.completed',
    'stage.entered',
  ]);
  // Exactly one write per event: the timeline above, three sign-off rows, and the outbox rows of
  // three entries (2 + 1 + 1 tasks) and two decisions (3 + 3 to the triangle).
  const signoffRows = await world.sql`select count(*)::int as n from signoffs where deal_id = ${id}`;
  expect(signoffRows[0].n).toBe(3);
  const outbox =
    await world.sql`select kind, count(*)::int as n from notifications where deal_id = ${id} group by kind order by kind`;
  expect(outbox).toEqual([
    { kind: 'decision', n: 6 },
    { kind: 'task', n: 4 },
  ]);
  const visits = await world.sql`select stage_key from stage_visits where deal_id = ${id} order by exited_at`;
  expect(visits.map((v) => v.stage_key)).toEqual(['one', 'two']);
});

test('a worker killed in the middle of a sign-off write: the write is retried and lands once', async () => {
  const def: ProcessDefinition = {
    key: 'midwrite',
    name: { en: 'Mid-write', zh: '写入中' },
    stages: [soloStage('one', { approvers: ['AR', 'SR'], weights: { AR: 0.5, SR: 0.5 } }), soloStage('two')],
  };
  const key = (await applyDefinition(world, def)).key;
  const created = await api.createOn(org.manager, key, triangleOf(org), {
    title: 'Mid-write kill',
    value: { amount: 10, currency: 'USD' },
  });
  const id = created.body.id as string;
  await world.stopWorker();
  const child = spawnWorkerProcess(world);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  await eventually(async () => output.includes('worker ready'), 60_000);

  // Hold the deal's row so the sign-off's single write statement blocks half-way, then kill the
  // worker that runs it.
  const lock = await world.sql.reserve();
  await lock`begin`;
  await lock`select 1 from deals where id = ${id} for update`;
  const [{ pid: lockPid }] = await lock<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const signing = api.sign(org.ar, id, { stage: 'one' });
  // The write blocked by our lock, not another file's write waiting on some other lock.
  await eventually(async () => {
    const waiting = await world.sql`
      select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and query like '%INSERT INTO deal_events%'
        and ${lockPid}::int = any(pg_blocking_pids(pid))`;
    return waiting[0].n > 0;
  }, 20_000);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  await lock`rollback`;
  lock.release();

  // A new worker picks the workflow task up again (after its timeout) and re-runs the write.
  await world.startWorker();
  const signed = await signing;
  expect(signed.status).toBe(200);
  expect(signed.body.stage.signoffs).toEqual([expect.objectContaining({ role: 'AR', userId: org.ar.id })]);
  const rows = await world.sql`select role from signoffs where deal_id = ${id}`;
  expect(rows).toEqual([{ role: 'AR' }]);
  const events = await api.timeline(org.ar, id);
  expect(events.map((e) => e.type)).toEqual(['deal.created', 'stage.entered', 'signoff.approved']);
  expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
  expect((await api.sign(org.sr, id, { stage: 'one' })).status).toBe(200);
  await api.waitFor(org.ar, id, { stage: 'two' });
}, 90_000);

test('record activities are idempotent: running one twice writes nothing twice', async () => {
  const def = await applyDefinition(world, {
    key: 'idem-act',
    name: { en: 'Idem', zh: '幂等' },
    stages: [soloStage('one')],
  });
  const dealId = randomUUID();
  await world.db.insert(deals).values({
    id: dealId,
    workflowId: workflowIdForDeal(dealId),
    title: 't',
    accountName: 'a',
    valueAmount: 1,
    currency: 'USD',
    status: 'active',
    processKey: def.key,
    processVersion: def.version,
    arId: org.ar.id,
    srId: org.sr.id,
    frId: org.fr.id,
    createdBy: org.manager.id,
  });
  const activities = createActivities({ db: world.db, publicUrl: 'http://localhost' });
  const at = new Date().toISOString();
  const input = {
    dealId,
    events: [
      {
        seq: 1,
        key: 'one:1:signoff:AR',
        type: 'signoff.approved' as const,
        at,
        stage: 'one',
        actorId: org.ar.id,
        onBehalfOfId: null,
        data: { role: 'AR' },
      },
    ],
    deal: {
      projectionSeq: 1,
      status: 'active',
      value: { amount: 1, currency: 'USD' },
      triangle: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
      stageKey: 'one',
      stageIndex: 0,
      stageVisit: 1,
      stageEnteredAt: at,
      dueAt: at,
      escalationLevel: 0,
      required: [],
      waitingOn: [],
      pendingUserIds: [],
      participantIds: [],
      closedAt: null,
    },
    signoff: {
      stageKey: 'one',
      visit: 1,
      role: 'AR' as const,
      userId: org.ar.id,
      actorId: org.ar.id,
      decision: 'approve' as const,
      comment: null,
      at,
    },
    notify: [
      {
        kind: 'decision' as const,
        event: 'stage.completed' as const,
        dedupe: 'one:1:decision',
        userIds: [org.ar.id, org.sr.id],
        stage: 'one',
        data: { dealTitle: 't', accountName: 'a' },
      },
    ],
  };
  await activities.recordDeal(input);
  await activities.recordDeal(input);
  // An older snapshot never moves the projection backwards.
  await activities.recordDeal({
    ...input,
    events: [{ ...input.events[0], seq: 0, key: 'older' }],
    deal: { ...input.deal, projectionSeq: 0, status: 'lost' },
  });
  const counts = await world.sql`
    select (select count(*)::int from deal_events where deal_id = ${dealId} and seq = 1) as events,
           (select count(*)::int from signoffs where deal_id = ${dealId}) as signoffs,
           (select count(*)::int from notifications where deal_id = ${dealId}) as notifications,
           (select status from deals where id = ${dealId}) as status,
           (select projection_seq from deals where id = ${dealId}) as seq`;
  expect(counts[0]).toEqual({ events: 1, signoffs: 1, notifications: 2, status: 'active', seq: 1 });
});

test('Continue-As-New at stage boundaries carries the deal state as plain JSON', async () => {
  const def: ProcessDefinition = {
    key: 'can',
    name: { en: 'CAN', zh: '续新' },
    stages: [soloStage('a'), soloStage('b'), soloStage('c'), soloStage('d')],
  };
  const version = await applyDefinition(world, def);
  const dealId = randomUUID();
  const now = new Date();
  await world.db.insert(deals).values({
    id: dealId,
    workflowId: workflowIdForDeal(dealId),
    title: 'Long deal',
    accountName: 'Acme',
    valueAmount: 5,
    currency: 'USD',
    status: 'active',
    processKey: version.key,
    processVersion: version.version,
    arId: org.ar.id,
    srId: org.sr.id,
    frId: org.fr.id,
    createdBy: org.manager.id,
  });
  const args: DealWorkflowArgs = {
    start: {
      dealId,
      title: 'Long deal',
      account: { name: 'Acme' },
      value: { amount: 5, currency: 'USD' },
      triangle: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
      process: { key: version.key, version: version.version },
      definition: version.definition,
      createdBy: org.manager.id,
      createdAt: now.toISOString(),
    },
    options: { maxTransitionsPerRun: 2 },
  };
  const handle = await world.client.workflow.start(DEAL_WORKFLOW_TYPE, {
    workflowId: workflowIdForDeal(dealId),
    taskQueue: world.taskQueue,
    args: [args],
  });
  const firstRun = handle.firstExecutionRunId;
  for (const s of ['a', 'b', 'c', 'd']) {
    await api.waitFor(org.ar, dealId, { stage: s });
    expect((await api.sign(org.ar, dealId, { stage: s })).status).toBe(200);
  }
  const result = await world.client.workflow.getHandle(workflowIdForDeal(dealId)).result();
  expect(result.status).toBe('completed');
  expect(result.stages.map((s: { key: string }) => s.key)).toEqual(['a', 'b', 'c', 'd']);
  const latest = await world.client.workflow.getHandle(workflowIdForDeal(dealId)).describe();
  expect(latest.runId).not.toBe(firstRun);
  const events = await api.timeline(org.ar, dealId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1)); // seq carried across runs
});

test('search attributes follow stage, status and pending users', async () => {
  const key = (
    await applyDefinition(world, {
      key: 'sa',
      name: { en: 'SA', zh: '搜索' },
      stages: [
        soloStage('first', { approvers: ['AR', 'SR'], weights: { AR: 0.5, SR: 0.5 } }),
        soloStage('second'),
      ],
    })
  ).key;
  const created = await api.createOn(org.manager, key, triangleOf(org), {
    title: 'Search attributes',
    value: { amount: 42, currency: 'USD' },
  });
  const id = created.body.id as string;
  expect((await api.sign(org.ar, id, { stage: 'first' })).status).toBe(200);
  const wid = workflowIdForDeal(id);
  await eventually(
    async () => {
      const found: string[] = [];
      for await (const wf of world.client.workflow.list({
        query: `WorkflowId = '${wid}' AND LtcStage = 'first' AND LtcPendingUsers = '${org.sr.id}' AND LtcStatus = 'active'`,
      })) {
        found.push(wf.workflowId);
      }
      return found.length === 1;
    },
    20_000,
    250,
  );
  const live = await world.client.workflow.getHandle(wid).query(dealQuery);
  expect(live.stage?.waitingOn).toEqual([{ role: 'SR', userId: org.sr.id }]);
  expect(live.value.amount).toBe(42);
});
