/**
 * The scenarios whose real histories are the replay fixtures (test/fixtures/histories/<version>/):
 * together they take every path of the deal workflow and of the notification delivery workflow. Run
 * as normal tests they assert their outcome; with `RECORD_HISTORIES=<version>` (a new directory, e.g.
 * `v3`) they also save their histories there, never over an existing file:
 *
 *   RECORD_HISTORIES=v3 npm test -- record-histories replay
 *
 * SLAs are second-scale with generous margins: the assertions are about order, not instants.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { deals, users } from '../../db/schema';
import { DELIVER_NOTIFICATION_WORKFLOW_TYPE, deliveryWorkflowId } from '../../domain/notifications/delivery';
import type { ProcessDefinition } from '../../domain/process/types';
import { DEAL_WORKFLOW_TYPE, type DealWorkflowArgs, workflowIdForDeal } from '../../workflows/messages';
import { dealApi } from './support/api';
import { fetchAllRuns, recordHistory, recordingDir } from './support/histories';
import { closedPort, type HttpReceiver, outbox, startHttpReceiver } from './support/notification-receivers';
import { soloStage, stage } from './support/process';
import {
  applyDefinition,
  createOrg,
  createUser,
  eventually,
  loadDefaultDefinition,
  startWorld,
  type TestUser,
  triangleOf,
  type World,
} from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
const receivers: HttpReceiver[] = [];
const webhookIds: string[] = [];

beforeAll(async () => {
  recordingDir(); // with RECORD_HISTORIES, fail now on a bad or existing version directory
  // A short delivery budget, so a dead receiver's channel is marked failed within seconds.
  world = await startWorld({
    deliveryRetry: {
      initialIntervalMs: 500,
      backoffCoefficient: 2,
      maximumIntervalMs: 1_000,
      scheduleToCloseMs: 4_000,
      attemptTimeoutMs: 2_000,
    },
  });
  org = await createOrg(world);
  api = dealApi(world);
});

afterAll(async () => {
  // Webhooks make every later notification of the run start a delivery workflow: remove ours.
  for (const id of webhookIds) await request(world.app).delete(`/webhooks/${id}`).set(org.ops.auth);
  await world?.stop();
  await Promise.all(receivers.map((r) => r.close()));
});

async function newDeal(processKey: string, amount = 1_000_000, triangle = triangleOf(org)) {
  const res = await api.create(org.manager, {
    title: `Recorded deal ${world.ns}`,
    account: { name: 'China Mobile Guangdong' },
    value: { amount, currency: 'CNY' },
    triangle,
    process: { key: processKey },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

async function define(def: ProcessDefinition): Promise<string> {
  return (await applyDefinition(world, def)).key;
}

/** The timeline types of one stage visit after its entry, in order. */
function visitTypes(events: Awaited<ReturnType<typeof api.timeline>>, stageKey: string, visit = 1) {
  const entered = events.filter((e) => e.type === 'stage.entered' && e.stage === stageKey);
  const from = entered[visit - 1].seq;
  const until = entered[visit]?.seq ?? Number.POSITIVE_INFINITY;
  return events.filter((e) => e.seq > from && e.seq < until && e.stage === stageKey).map((e) => e.type);
}

test('happy path: the full default LTC, created with update-with-start, continues as new on Temporal’s suggestion', async () => {
  const ltcKey = await define(loadDefaultDefinition());
  const deal = await newDeal(ltcKey, 6_000_000); // above the manager threshold at ATI, ATB, ATC
  const byId = new Map(Object.values(org).map((u) => [u.id, u]));
  const seen: string[] = [];
  const deadline = Date.now() + 120_000;
  for (;;) {
    const d = (await api.get(org.manager, deal.id)).body;
    if (d.status === 'completed') break;
    if (Date.now() > deadline) throw new Error(`deal stuck at ${JSON.stringify(d.stage)}`);
    if (!d.stage || d.stage.waitingOn.length === 0) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (seen[seen.length - 1] !== d.stage.key) seen.push(d.stage.key);
    const next = d.stage.waitingOn[0];
    const res = await api.sign(byId.get(next.userId)!, deal.id, { stage: d.stage.key, role: next.role });
    expect([200, 409]).toContain(res.status); // 409 only if the stage moved on under us
  }
  expect(seen).toEqual([
    'lead',
    'ati',
    'solution',
    'atb',
    'bid',
    'negotiation',
    'atc',
    'handover',
    'delivery',
    'acceptance',
    'collection',
    'close',
  ]);
  expect(seen).toEqual(loadDefaultDefinition().stages.map((s) => s.key));
  const done = await api.waitFor(org.manager, deal.id, { status: 'completed' });
  expect(done.stage).toBeNull();
  const workflowId = workflowIdForDeal(deal.id);
  const result = await world.client.workflow.getHandle(workflowId).result(); // follows the runs
  expect(result.status).toBe('completed');
  expect(result.stages.map((s: { key: string }) => s.key)).toEqual(seen);
  const events = await api.timeline(org.manager, deal.id);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1)); // seq carried across runs
  expect(events.filter((e) => e.type === 'stage.completed')).toHaveLength(12);
  const completedEvent = events[events.length - 1];
  expect(completedEvent.type).toBe('deal.completed');
  const summary = completedEvent.data.summary as { stage: string; durationMs: number; signers: unknown[] }[];
  expect(summary.map((s) => s.stage)).toEqual(seen);
  for (const s of summary) {
    expect(s.durationMs).toBeGreaterThanOrEqual(0);
    expect(s.signers.length).toBeGreaterThan(0);
  }
  // The manager signed each gate (value above the threshold).
  expect(
    events.filter((e) => e.type === 'signoff.approved' && e.data.role === 'manager').map((e) => e.stage),
  ).toEqual(['ati', 'atb', 'atc']);
  const visits = await world.sql`select count(*)::int as n from stage_visits where deal_id = ${deal.id}`;
  expect(visits[0].n).toBe(12);
  if (process.env.LTC_TEST_SUGGEST_CAN_AT) {
    // The test server suggests Continue-As-New after that many events: this deal is longer.
    const runs = await fetchAllRuns(world.client, workflowId);
    expect(runs.length).toBeGreaterThan(1);
    for (const run of runs.slice(0, -1)) {
      expect(run.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    }
  }
  await recordHistory(world.client, 'happy-path', workflowId);
});

test('rework: a sign-off rejection at ATB sends the deal back to solution with fresh sign-offs', async () => {
  const key = await define({
    key: 'rec-rework',
    name: { en: 'Rework', zh: '返工' },
    stages: [
      stage('solution', { approvers: ['SR'], weights: { SR: 1 } }),
      stage('atb', { gate: 'ATB', onReject: 'solution' }),
    ],
  });
  const deal = await newDeal(key);
  expect((await api.sign(org.sr, deal.id, { stage: 'solution' })).status).toBe(200);
  await api.waitFor(org.ar, deal.id, { stage: 'atb' });
  expect((await api.sign(org.ar, deal.id, { stage: 'atb' })).status).toBe(200);
  const rejected = await api.sign(org.fr, deal.id, {
    stage: 'atb',
    decision: 'reject',
    comment: 'delivery risk',
  });
  expect(rejected.status).toBe(200);
  const back = await api.waitFor(org.ar, deal.id, { stage: 'solution', visit: 2 });
  expect(back.stage.signoffs).toEqual([]);
  expect((await api.sign(org.sr, deal.id, { stage: 'solution' })).status).toBe(200);
  await api.waitFor(org.ar, deal.id, { stage: 'atb', visit: 2 });
  const events = await api.timeline(org.ar, deal.id);
  expect(
    events.filter((e) => e.type === 'stage.completed').map((e) => [e.data.stage, e.data.outcome]),
  ).toEqual([
    ['solution', 'approved'],
    ['atb', 'rejected'],
    ['solution', 'approved'],
  ]);
  await recordHistory(world.client, 'signoff-reject-rework', workflowIdForDeal(deal.id));
});

test('lost: a rejection at a stage without onReject loses the deal', async () => {
  const key = await define({
    key: 'rec-lost',
    name: { en: 'Lost', zh: '丢单' },
    stages: [stage('qualify'), stage('next')],
  });
  const deal = await newDeal(key);
  expect((await api.sign(org.ar, deal.id, { stage: 'qualify' })).status).toBe(200);
  const rejected = await api.sign(org.sr, deal.id, {
    stage: 'qualify',
    decision: 'reject',
    comment: 'no budget this year',
  });
  expect(rejected.status).toBe(200);
  await api.waitFor(org.manager, deal.id, { status: 'lost' });
  const result = await world.client.workflow.getHandle(workflowIdForDeal(deal.id)).result();
  expect(result.status).toBe('lost');
  const events = await api.timeline(org.manager, deal.id);
  expect(events.slice(-3).map((e) => e.type)).toEqual(['signoff.rejected', 'stage.completed', 'deal.lost']);
  expect(events.at(-1)?.data.reason).toBe('no budget this year');
  expect(events.some((e) => e.stage === 'next')).toBe(false);
  await recordHistory(world.client, 'lost-by-rejection', workflowIdForDeal(deal.id));
});

test('hold pauses the clock, reassign while held, resume re-arms it and the escalation follows', async () => {
  const key = await define({
    key: 'rec-hold',
    name: { en: 'Hold', zh: '暂停' },
    stages: [
      stage('review', { sla: { within: '5s', escalate: [{ after: '0s', notify: ['manager'] }] } }),
      stage('after'),
    ],
  });
  const deal = await newDeal(key);
  const held = await api.command(org.manager, deal.id, 'hold', { reason: 'customer budget freeze' });
  expect(held.status).toBe(200);
  expect(held.body.status).toBe('on_hold');
  expect((await api.sign(org.ar, deal.id, { stage: 'review' })).body.code).toBe('on_hold');
  const reassigned = await api.command(org.manager, deal.id, 'reassign', {
    role: 'SR',
    userId: org.sdt.id,
    reason: 'moved team',
  });
  expect(reassigned.status).toBe(200);
  const resumed = await api.command(org.manager, deal.id, 'resume');
  expect(resumed.status).toBe(200);
  expect(resumed.body.status).toBe('active');
  expect((await api.sign(org.sdt, deal.id, { stage: 'review', role: 'SR' })).status).toBe(200);
  await eventually(
    async () => (await api.timeline(org.manager, deal.id)).some((e) => e.type === 'stage.escalated'),
    30_000,
  );
  expect((await api.sign(org.ar, deal.id, { stage: 'review' })).status).toBe(200);
  expect((await api.sign(org.fr, deal.id, { stage: 'review' })).status).toBe(200);
  await api.waitFor(org.manager, deal.id, { stage: 'after' });
  const events = await api.timeline(org.manager, deal.id);
  const order = ['deal.on_hold', 'role.reassigned', 'deal.resumed', 'stage.escalated', 'stage.completed'];
  expect(events.map((e) => e.type).filter((t) => order.includes(t))).toEqual(order);
  const escalated = events.find((e) => e.type === 'stage.escalated')!;
  expect(escalated.data.dueAt).toBe(resumed.body.stage.dueAt);
  await recordHistory(world.client, 'hold-reassign-resume-escalate', workflowIdForDeal(deal.id));
});

test('reassigning the AR while a manager approval is pending moves it to the new AR’s manager', async () => {
  const key = await define({
    key: 'rec-reassign-ar',
    name: { en: 'Reassign AR', zh: '改派' },
    stages: [
      stage('gate', {
        when: [{ if: { valueAtLeast: { amount: 5_000_000, currency: 'CNY' } }, add: ['manager'] }],
      }),
      stage('next'),
    ],
  });
  const manager2 = await createUser(world, {
    id: 'manager2',
    roles: ['manager'],
    managerId: org.director.id,
  });
  const ar2 = await createUser(world, { id: 'ar2', managerId: manager2.id });
  const deal = await newDeal(key, 6_000_000);
  const res = await api.command(org.manager, deal.id, 'reassign', {
    role: 'AR',
    userId: ar2.id,
    reason: 'new territory',
  });
  expect(res.status).toBe(200);
  const manager = res.body.stage.required.find((r: { role: string }) => r.role === 'manager');
  expect(manager.userIds).toEqual([manager2.id]);
  expect((await api.sign(org.manager, deal.id, { stage: 'gate', role: 'manager' })).status).toBe(403);
  const signers: [TestUser, string][] = [
    [manager2, 'manager'],
    [ar2, 'AR'],
    [org.sr, 'SR'],
    [org.fr, 'FR'],
  ];
  for (const [who, role] of signers) {
    expect((await api.sign(who, deal.id, { stage: 'gate', role })).status).toBe(200);
  }
  await api.waitFor(org.manager, deal.id, { stage: 'next' });
  await recordHistory(world.client, 'reassign-ar-manager-pending', workflowIdForDeal(deal.id));
});

test('amend adds a conditional approver, a second amend removes it, then cancel ends the deal', async () => {
  const key = await define({
    key: 'rec-amend',
    name: { en: 'Amend', zh: '修改' },
    stages: [
      stage('gate', {
        when: [{ if: { valueAtLeast: { amount: 5_000_000, currency: 'CNY' } }, add: ['manager'] }],
      }),
      stage('next'),
    ],
  });
  const deal = await newDeal(key, 1_000_000);
  const up = await api.amend(org.manager, deal.id, { amount: 8_000_000, currency: 'CNY' });
  expect(up.status).toBe(200);
  expect(up.body.stage.required.map((r: { role: string }) => r.role)).toEqual(['AR', 'SR', 'FR', 'manager']);
  expect((await api.sign(org.ar, deal.id, { stage: 'gate' })).status).toBe(200);
  // Removing the manager's pending approval takes a manager above them.
  const down = await api.amend(org.director, deal.id, { amount: 2_000_000, currency: 'CNY' });
  expect(down.status).toBe(200);
  expect(down.body.stage.required.map((r: { role: string }) => r.role)).toEqual(['AR', 'SR', 'FR']);
  const cancelled = await api.command(org.manager, deal.id, 'cancel', {
    reason: 'customer chose a competitor',
  });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  const result = await world.client.workflow.getHandle(workflowIdForDeal(deal.id)).result();
  expect(result.status).toBe('cancelled');
  const events = await api.timeline(org.manager, deal.id);
  const amends = events.filter((e) => e.type === 'deal.amended').map((e) => e.data);
  expect(amends).toMatchObject([
    { addedApprovers: ['manager'], removedApprovers: [] },
    { addedApprovers: [], removedApprovers: ['manager'] },
  ]);
  expect(events.at(-1)).toMatchObject({ type: 'deal.cancelled', data: { stage: 'gate' } });
  await recordHistory(world.client, 'amend-add-remove-cancel', workflowIdForDeal(deal.id));
});

test('three simultaneous sign-offs complete the stage once', async () => {
  const key = await define({
    key: 'rec-concurrent',
    name: { en: 'Concurrent', zh: '并发' },
    stages: [stage('gate'), stage('next')],
  });
  const deal = await newDeal(key);
  const results = await Promise.all(
    [org.ar, org.sr, org.fr].map((u) => api.sign(u, deal.id, { stage: 'gate' })),
  );
  expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  await api.waitFor(org.ar, deal.id, { stage: 'next' });
  const events = await api.timeline(org.ar, deal.id);
  expect(events.filter((e) => e.type === 'stage.completed')).toHaveLength(1);
  await recordHistory(world.client, 'concurrent-signoffs', workflowIdForDeal(deal.id));
});

test('SLA: an automatic approve, then reminders, escalation levels and an automatic reject sending the deal back', async () => {
  const key = await define({
    key: 'rec-sla',
    name: { en: 'SLA', zh: '时限' },
    stages: [
      soloStage('lead'),
      stage('ati', {
        gate: 'ATI',
        sla: { within: '2s', escalate: [{ after: '0s', notify: ['manager'], action: 'approve' }] },
      }),
      stage('atb', {
        gate: 'ATB',
        sla: {
          within: '8s',
          remind: ['5s'],
          escalate: [
            { after: '0s', notify: ['manager'] },
            { after: '1s', notify: ['manager+1'] },
            { after: '2s', notify: [`group:sdt-${world.ns}`], action: 'reject' },
          ],
        },
        onReject: 'lead',
      }),
    ],
  });
  const deal = await newDeal(key);
  expect((await api.sign(org.ar, deal.id, { stage: 'lead' })).status).toBe(200);
  await api.waitFor(org.ar, deal.id, { stage: 'atb' }, 30_000);
  expect((await api.sign(org.ar, deal.id, { stage: 'atb' })).status).toBe(200);
  await api.waitFor(org.ar, deal.id, { stage: 'lead', visit: 2 }, 40_000);
  const events = await api.timeline(org.manager, deal.id);
  expect(visitTypes(events, 'ati')).toEqual(['stage.escalated', 'stage.auto_decided', 'stage.completed']);
  expect(events.find((e) => e.type === 'stage.auto_decided' && e.stage === 'ati')?.data.decision).toBe(
    'approve',
  );
  expect(visitTypes(events, 'atb').filter((t) => t !== 'signoff.approved')).toEqual([
    'stage.reminder',
    'stage.escalated',
    'stage.escalated',
    'stage.escalated',
    'stage.auto_decided',
    'stage.completed',
  ]);
  const atb = events.filter((e) => e.stage === 'atb');
  expect(atb.filter((e) => e.type === 'stage.escalated').map((e) => e.data.notified)).toEqual([
    [org.manager.id],
    [org.director.id],
    [org.sdt.id],
  ]);
  expect(atb.find((e) => e.type === 'stage.auto_decided')?.data).toMatchObject({
    decision: 'reject',
    level: 3,
    targetStage: 'lead',
  });
  await recordHistory(world.client, 'sla-auto-approve-auto-reject', workflowIdForDeal(deal.id));
});

test('notification delivery: one channel delivered after a retry, one marked failed; a missing row delivers nothing', async () => {
  const hookAr = await createUser(world, { id: 'hook-ar', managerId: org.manager.id });
  const live = await startHttpReceiver({ respond: (_r, n) => (n === 1 ? 500 : 200) });
  receivers.push(live);
  for (const url of [live.url, `http://127.0.0.1:${await closedPort()}/hook`]) {
    const res = await request(world.app)
      .post('/webhooks')
      .set(org.ops.auth)
      .send({
        url,
        format: 'generic',
        secret: `rec-secret-${world.ns}`,
        userId: hookAr.id,
        events: ['task'],
      });
    expect(res.status).toBe(201);
    webhookIds.push(res.body.id);
  }
  const key = await define({
    key: 'rec-notify',
    name: { en: 'Notify', zh: '通知' },
    stages: [soloStage('one')],
  });
  const deal = await newDeal(key, 1_000, { AR: hookAr.id, SR: org.sr.id, FR: org.fr.id });
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: hookAr.id });
  const workflowId = deliveryWorkflowId(row.id);
  const result = await eventually(() => world.client.workflow.getHandle(workflowId).result(), 30_000);
  expect(result.deliveries.map((d: { status: string }) => d.status).sort()).toEqual(['failed', 'sent']);
  expect(live.delivered().map((r) => r.json.id)).toEqual([row.id]);
  await recordHistory(world.client, 'deliver-notification', workflowId);

  // The AR's sign-off ends the deal: the deliveries of that last write are started after the end.
  expect((await api.sign(hookAr, deal.id, { stage: 'one', role: 'AR' })).status).toBe(200);
  await api.waitFor(org.manager, deal.id, { status: 'completed' });
  const dealHandle = world.client.workflow.getHandle(workflowIdForDeal(deal.id));
  await dealHandle.result();
  const rows = await outbox(world, deal.id);
  expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['task', 'decision', 'status']));
  for (const r of rows) await world.client.workflow.getHandle(deliveryWorkflowId(r.id)).describe();
  await recordHistory(world.client, 'deal-ends-with-deliveries', dealHandle.workflowId);

  const missing = `ntf_missing_${world.ns}`;
  const handle = await world.client.workflow.start(DELIVER_NOTIFICATION_WORKFLOW_TYPE, {
    taskQueue: world.taskQueue,
    workflowId: deliveryWorkflowId(missing),
    args: [{ notificationId: missing }],
  });
  expect(await handle.result()).toEqual({ notificationId: missing, deliveries: [] });
  await recordHistory(world.client, 'deliver-notification-not-found', handle.workflowId);
});

test('approvers follow the org chart: the AR’s manager changes while the deal waits, the next stage asks the new one', async () => {
  const version = await applyDefinition(world, {
    key: 'rec-directory',
    name: { en: 'Directory', zh: '审批人' },
    stages: [soloStage('first'), soloStage('gate', { approvers: ['AR', 'manager'], weights: { AR: 1 } })],
  });
  // The AR reports to the org's manager at creation, to the director later.
  const ar = await createUser(world, { id: 'dir-ar', managerId: org.manager.id });
  const dealId = randomUUID();
  await world.db.insert(deals).values({
    id: dealId,
    workflowId: workflowIdForDeal(dealId),
    title: 'Org chart deal',
    accountName: 'Acme',
    valueAmount: 5,
    currency: 'CNY',
    status: 'active',
    processKey: version.key,
    processVersion: version.version,
    arId: ar.id,
    srId: org.sr.id,
    frId: org.fr.id,
    createdBy: org.manager.id,
  });
  const args: DealWorkflowArgs = {
    start: {
      dealId,
      title: 'Org chart deal',
      account: { name: 'Acme' },
      value: { amount: 5, currency: 'CNY' },
      triangle: { AR: ar.id, SR: org.sr.id, FR: org.fr.id },
      process: { key: version.key, version: version.version },
      definition: version.definition,
      createdBy: org.manager.id,
      createdAt: new Date().toISOString(),
    },
    // Look the directory up again after every entry (the default waits ten minutes).
    options: { directoryMaxAgeMs: 0 },
  };
  await world.client.workflow.start(DEAL_WORKFLOW_TYPE, {
    workflowId: workflowIdForDeal(dealId),
    taskQueue: world.taskQueue,
    args: [args],
  });
  await api.waitFor(ar, dealId, { stage: 'first' });
  await world.db.update(users).set({ managerId: org.director.id }).where(eq(users.id, ar.id));
  const entered = await api.sign(ar, dealId, { stage: 'first' });
  // Entered with the manager known ahead of time, then looked up again: the director now.
  expect(entered.body.stage.key).toBe('gate');
  const updated = await eventually(async () => {
    const d = (await api.get(org.director, dealId)).body;
    return d.stage?.required?.find((r: { role: string }) => r.role === 'manager')?.userIds?.[0] ===
      org.director.id
      ? d
      : undefined;
  });
  expect(updated.stage.waitingOn).toEqual([
    { role: 'AR', userId: ar.id },
    { role: 'manager', userId: org.director.id },
  ]);
  expect((await api.sign(org.manager, dealId, { stage: 'gate', role: 'manager' })).status).toBe(403);
  expect((await api.sign(org.director, dealId, { stage: 'gate', role: 'manager' })).status).toBe(200);
  expect((await api.sign(ar, dealId, { stage: 'gate' })).body.status).toBe('completed');
  const events = await api.timeline(org.director, dealId);
  expect(events.find((e) => e.type === 'stage.approvers_updated')?.data).toMatchObject({
    changes: [{ approver: 'manager', from: [org.manager.id], to: [org.director.id] }],
  });
  await recordHistory(world.client, 'approvers-follow-org-chart', workflowIdForDeal(dealId));
});

test('evidence: a stage signed off waits for its required attachment, then completes when the evidence Update arrives', async () => {
  const key = await define({
    key: 'rec-evidence',
    name: { en: 'Evidence', zh: '证据' },
    stages: [
      soloStage('atb', { gate: 'ATB', requires: [{ attachment: { kind: 'margin-sheet' } }] }),
      soloStage('close'),
    ],
  });
  const deal = await newDeal(key);
  const signed = await api.sign(org.ar, deal.id, { stage: 'atb' });
  expect(signed.body.stage).toMatchObject({ key: 'atb', requirements: [{ met: false }] });
  const attached = await request(world.app)
    .post(`/deals/${deal.id}/attachments`)
    .set(org.ar.auth)
    .send({
      kind: 'margin-sheet',
      filename: 'margin.csv',
      content: Buffer.from('80,100').toString('base64'),
    });
  expect(attached.status).toBe(201);
  expect((await api.get(org.ar, deal.id)).body.stage.key).toBe('close');
  expect((await api.sign(org.ar, deal.id, { stage: 'close' })).body.status).toBe('completed');
  await recordHistory(world.client, 'evidence-attachment', workflowIdForDeal(deal.id));
});
