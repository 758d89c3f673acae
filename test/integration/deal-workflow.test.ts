/**
 * The deal workflow on the real Temporal dev server and real Postgres, driven through the API.
 * SLAs in the test definitions are second-scale. The full default LTC runs in
 * record-histories.test.ts (its happy path), which asserts its outcome as well as recording it.
 */
import type { ProcessDefinition } from '../../domain/process/types';
import { dealQuery, workflowIdForDeal } from '../../workflows/messages';
import { dealApi } from './support/api';
import { stage } from './support/process';
import { applyDefinition, createOrg, eventually, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;

async function newDeal(processKey: string, amount = 1_000_000) {
  const res = await api.create(org.manager, {
    title: `Deal ${Math.random().toString(36).slice(2, 8)}`,
    account: { name: 'China Mobile Guangdong' },
    value: { amount, currency: 'CNY' },
    triangle: triangleOf(org),
    process: { key: processKey },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; stage: { key: string; dueAt: string } };
}

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
});

afterAll(async () => {
  await world?.stop();
});

test('a rejection at ATB returns to solution with sign-offs reset', async () => {
  const def: ProcessDefinition = {
    key: 'rework',
    name: { en: 'Rework', zh: '返工' },
    stages: [
      stage('solution', { approvers: ['SR'], weights: { SR: 1 } }),
      stage('atb', { gate: 'ATB', onReject: 'solution' }),
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const deal = await newDeal(key);
  expect((await api.sign(org.sr, deal.id, { stage: 'solution' })).status).toBe(200);
  await api.waitFor(org.ar, deal.id, { stage: 'atb' });
  expect((await api.sign(org.ar, deal.id, { stage: 'atb' })).status).toBe(200);
  const rejected = await api.sign(org.fr, deal.id, {
    stage: 'atb',
    decision: 'reject',
    comment: 'delivery risk too high',
  });
  expect(rejected.status).toBe(200);
  const back = await api.waitFor(org.ar, deal.id, { stage: 'solution', visit: 2 });
  expect(back.stage.signoffs).toEqual([]);
  expect(back.stage.waitingOn).toEqual([{ role: 'SR', userId: org.sr.id }]);
  // The second visit of ATB starts fresh too.
  expect((await api.sign(org.sr, deal.id, { stage: 'solution' })).status).toBe(200);
  const atb2 = await api.waitFor(org.ar, deal.id, { stage: 'atb', visit: 2 });
  expect(atb2.stage.signoffs).toEqual([]);
  expect(atb2.stage.waitingOn.map((w: { role: string }) => w.role)).toEqual(['AR', 'SR', 'FR']);
  const events = await api.timeline(org.ar, deal.id);
  const rejection = events.find((e) => e.type === 'signoff.rejected')!;
  expect(rejection).toMatchObject({
    stage: 'atb',
    actorId: org.fr.id,
    data: { role: 'FR', comment: 'delivery risk too high', targetStage: 'solution' },
  });
  const completed = events
    .filter((e) => e.type === 'stage.completed')
    .map((e) => [e.data.stage, e.data.outcome]);
  expect(completed).toEqual([
    ['solution', 'approved'],
    ['atb', 'rejected'],
    ['solution', 'approved'],
  ]);
});

test('refusals: wrong signer, stale stage, double decision; a refused update leaves no history', async () => {
  const def: ProcessDefinition = {
    key: 'refusals',
    name: { en: 'Refusals', zh: '拒绝' },
    stages: [stage('one'), stage('two')],
  };
  const key = (await applyDefinition(world, def)).key;
  const deal = await newDeal(key);
  const handle = world.client.workflow.getHandle(workflowIdForDeal(deal.id));
  const before = (await handle.fetchHistory()).events?.length ?? 0;

  const wrongRole = await api.sign(org.sr, deal.id, { stage: 'one', role: 'AR' });
  expect(wrongRole.status).toBe(403);
  expect(wrongRole.headers['content-type']).toMatch(/application\/problem\+json/);
  const notInTriangle = await api.sign(org.manager, deal.id, { stage: 'one' });
  expect(notInTriangle.status).toBe(403);
  const stale = await api.sign(org.ar, deal.id, { stage: 'two' });
  expect(stale.status).toBe(409);
  expect(stale.body.code).toBe('stale_stage');
  const noReason = await api.sign(org.ar, deal.id, { stage: 'one', decision: 'reject' });
  expect(noReason.status).toBe(400);
  expect(noReason.body.errors[0].path).toBe('body.comment');

  expect((await api.sign(org.ar, deal.id, { stage: 'one' })).status).toBe(200);
  const twice = await api.sign(org.ar, deal.id, { stage: 'one' });
  expect(twice.status).toBe(409);
  expect(twice.body.code).toBe('already_decided');

  // Only the accepted sign-off reached the history: rejected updates leave no trace.
  const events = (await handle.fetchHistory()).events ?? [];
  const signoffUpdates = events.filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'signoff',
  );
  expect(signoffUpdates).toHaveLength(1);
  expect(events.length).toBeGreaterThan(before);
  const rows = await world.sql`select role from signoffs where deal_id = ${deal.id}`;
  expect(rows).toEqual([{ role: 'AR' }]);
});

test('an Idempotency-Key makes a retried sign-off count once', async () => {
  const def: ProcessDefinition = {
    key: 'idem',
    name: { en: 'Idem', zh: '幂等' },
    stages: [stage('one'), stage('two')],
  };
  const key = (await applyDefinition(world, def)).key;
  const deal = await newDeal(key);
  const headers = { 'Idempotency-Key': `retry-${deal.id}` };
  const first = await api.sign(org.ar, deal.id, { stage: 'one' }, headers);
  const second = await api.sign(org.ar, deal.id, { stage: 'one' }, headers);
  expect(first.status).toBe(200);
  expect(second.status).toBe(200);
  const rows = await world.sql`select count(*)::int as n from signoffs where deal_id = ${deal.id}`;
  expect(rows[0].n).toBe(1);
});

test('three simultaneous sign-offs complete the stage exactly once', async () => {
  const def: ProcessDefinition = {
    key: 'concurrent',
    name: { en: 'Concurrent', zh: '并发' },
    stages: [stage('gate'), stage('next')],
  };
  const key = (await applyDefinition(world, def)).key;
  const deal = await newDeal(key);
  const results = await Promise.all([
    api.sign(org.ar, deal.id, { stage: 'gate' }),
    api.sign(org.sr, deal.id, { stage: 'gate' }),
    api.sign(org.fr, deal.id, { stage: 'gate' }),
  ]);
  expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  await api.waitFor(org.ar, deal.id, { stage: 'next' });
  const events = await api.timeline(org.ar, deal.id);
  expect(events.filter((e) => e.type === 'signoff.approved')).toHaveLength(3);
  expect(events.filter((e) => e.type === 'stage.completed')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'stage.entered').map((e) => e.stage)).toEqual(['gate', 'next']);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
});

test('reminders, then escalation to the manager, to the manager’s manager, then an auto-decision', async () => {
  const def: ProcessDefinition = {
    key: 'escalation',
    name: { en: 'Escalation', zh: '升级' },
    stages: [
      stage('lead', { approvers: ['AR'], weights: { AR: 1 }, sla: { within: '1h' } }),
      stage('ati', {
        gate: 'ATI',
        // The reminder comes 3 s after entry, so the AR's sign-off just before it has a margin.
        sla: {
          within: '6s',
          remind: ['3s'],
          escalate: [
            { after: '0s', notify: ['manager'] },
            { after: '1s', notify: ['manager+1'] },
            { after: '2s', notify: [`group:sdt-${world.ns}`], action: 'reject' },
          ],
        },
        onReject: 'lead',
      }),
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const deal = await newDeal(key);
  expect((await api.sign(org.ar, deal.id, { stage: 'lead' })).status).toBe(200);
  await api.waitFor(org.ar, deal.id, { stage: 'ati' });
  expect((await api.sign(org.ar, deal.id, { stage: 'ati' })).status).toBe(200);
  // Back at lead (visit 2) once the auto-rejection fires, about 8 s after entering ATI.
  await api.waitFor(org.ar, deal.id, { stage: 'lead', visit: 2 }, 30_000);
  const events = await api.timeline(org.manager, deal.id);
  const sla = events.filter(
    (e) => e.stage === 'ati' && e.type.startsWith('stage.') && e.type !== 'stage.entered',
  );
  expect(sla.map((e) => e.type)).toEqual([
    'stage.reminder',
    'stage.escalated',
    'stage.escalated',
    'stage.escalated',
    'stage.auto_decided',
    'stage.completed',
  ]);
  const [reminder, l1, l2, l3, auto] = sla;
  expect((reminder.data.notified as string[]).sort()).toEqual([org.sr.id, org.fr.id].sort());
  expect(l1.data).toMatchObject({ level: 1, notified: [org.manager.id] });
  expect(l2.data).toMatchObject({ level: 2, notified: [org.director.id] });
  expect(l3.data).toMatchObject({ level: 3, notified: [org.sdt.id] });
  expect(auto).toMatchObject({
    actorId: 'system',
    data: { decision: 'reject', level: 3, targetStage: 'lead' },
  });
  const outbox = await world.sql`
    select kind, user_id from notifications where deal_id = ${deal.id} and kind in ('reminder', 'escalation')
    order by kind, user_id`;
  expect(outbox.map((r) => `${r.kind}:${r.user_id}`)).toEqual(
    [
      `escalation:${org.director.id}`,
      `escalation:${org.manager.id}`,
      `escalation:${org.sdt.id}`,
      ...[org.fr.id, org.sr.id].sort().map((u) => `reminder:${u}`),
    ].sort(),
  );
});

test('hold pauses the clock (no escalation while held), resume re-arms it; reassignment moves the role', async () => {
  const def: ProcessDefinition = {
    key: 'hold',
    name: { en: 'Hold', zh: '暂停' },
    stages: [
      stage('review', {
        sla: { within: '4s', escalate: [{ after: '0s', notify: ['manager'] }] },
      }),
      stage('after'),
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const deal = await newDeal(key);
  const held = await api.command(org.manager, deal.id, 'hold', { reason: 'customer budget freeze' });
  expect(held.status).toBe(200);
  expect(held.body.status).toBe('on_hold');
  const whileHeld = await api.sign(org.ar, deal.id, { stage: 'review' });
  expect(whileHeld.status).toBe(409);
  expect(whileHeld.body.code).toBe('on_hold');
  const { hold } = await world.client.workflow.getHandle(workflowIdForDeal(deal.id)).query(dealQuery);
  const remainingMs = hold!.remainingMs!;
  expect(remainingMs).toBeGreaterThan(0); // held before it was due
  // Until the original due time has passed: nothing escalates while held.
  await eventually(async () => Date.now() > Date.parse(deal.stage.dueAt) + 500, 30_000);
  let events = await api.timeline(org.manager, deal.id);
  expect(events.some((e) => e.type === 'stage.escalated')).toBe(false);

  // Reassign SR while held: the new holder can sign, the old one can't.
  const newSr = org.sdt;
  const reassigned = await api.command(org.manager, deal.id, 'reassign', {
    role: 'SR',
    userId: newSr.id,
    reason: 'moved team',
  });
  expect(reassigned.status).toBe(200);
  expect(reassigned.body.triangle.SR).toBe(newSr.id);

  const resumeSent = Date.now();
  const resumed = await api.command(org.manager, deal.id, 'resume');
  const resumeAnswered = Date.now();
  expect(resumed.status).toBe(200);
  expect(resumed.body.status).toBe('active');
  // Due the time that was left after the resume (which happened between sending and the answer).
  const due = Date.parse(resumed.body.stage.dueAt);
  expect(due).toBeGreaterThanOrEqual(resumeSent + remainingMs - 50);
  expect(due).toBeLessThanOrEqual(resumeAnswered + remainingMs + 50);

  // The old holder no longer holds a role: the deal is invisible to them now.
  expect((await api.sign(org.sr, deal.id, { stage: 'review' })).status).toBe(404);
  expect((await api.sign(newSr, deal.id, { stage: 'review', role: 'SR' })).status).toBe(200);

  // After resuming, the clock runs again and escalates once due.
  await eventually(async () => {
    events = await api.timeline(org.manager, deal.id);
    return events.some((e) => e.type === 'stage.escalated');
  }, 15_000);
  const escalated = events.find((e) => e.type === 'stage.escalated')!;
  expect(Date.parse(String(escalated.data.dueAt))).toBe(due);
  expect(events.map((e) => e.type)).toEqual(
    expect.arrayContaining(['deal.on_hold', 'role.reassigned', 'deal.resumed', 'stage.escalated']),
  );
  const reassign = events.find((e) => e.type === 'role.reassigned')!;
  expect(reassign).toMatchObject({
    actorId: org.manager.id,
    data: { role: 'SR', from: org.sr.id, to: newSr.id },
  });

  expect((await api.sign(org.ar, deal.id, { stage: 'review' })).status).toBe(200);
  expect((await api.sign(org.fr, deal.id, { stage: 'review' })).status).toBe(200);
  await api.waitFor(org.manager, deal.id, { stage: 'after' });
  const visit =
    await world.sql`select holders from stage_visits where deal_id = ${deal.id} and stage_key = 'review'`;
  expect(visit[0].holders).toEqual({ AR: org.ar.id, SR: newSr.id, FR: org.fr.id });
});

test('amend re-evaluates conditional approvers; cancel ends the deal', async () => {
  const def: ProcessDefinition = {
    key: 'amend',
    name: { en: 'Amend', zh: '修改' },
    stages: [
      stage('gate', {
        when: [{ if: { valueAtLeast: { amount: 5_000_000, currency: 'CNY' } }, add: ['manager'] }],
      }),
      stage('next'),
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const deal = await newDeal(key, 1_000_000);
  const amended = await api.amend(org.manager, deal.id, { amount: 8_000_000, currency: 'CNY' });
  expect(amended.status).toBe(200);
  expect(amended.body.value.amount).toBe(8_000_000);
  expect(amended.body.stage.required.map((r: { role: string }) => r.role)).toEqual([
    'AR',
    'SR',
    'FR',
    'manager',
  ]);
  expect((await api.sign(org.manager, deal.id, { stage: 'gate', role: 'manager' })).status).toBe(200);

  const member = await api.command(org.ar, deal.id, 'cancel', { reason: 'nope' });
  expect(member.status).toBe(403);
  const cancelled = await api.command(org.manager, deal.id, 'cancel', {
    reason: 'customer chose a competitor',
  });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  const late = await api.sign(org.ar, deal.id, { stage: 'gate' });
  expect(late.status).toBe(409);
  const result = await world.client.workflow.getHandle(workflowIdForDeal(deal.id)).result();
  expect(result.status).toBe('cancelled');
});
