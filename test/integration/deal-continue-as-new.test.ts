/**
 * Continue-As-New for real: the test dev server suggests it after a few hundred history events, and
 * a deal continues as new wherever it stands: on hold, escalated, mid-stage with sign-offs in. Its
 * SLA clock, escalation level and the idempotency of a retried sign-off carry over.
 */
import type { ProcessDefinition } from '../../domain/process/types';
import { dealQuery, workflowIdForDeal } from '../../workflows/messages';
import { dealApi } from './support/api';
import { soloStage, stage } from './support/process';
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

async function runId(id: string): Promise<string> {
  return (await world.client.workflow.getHandle(workflowIdForDeal(id)).describe()).runId;
}

/** Amend the value back and forth (nothing else changes) until the deal's run continues as new. */
async function untilContinuedAsNew(id: string): Promise<void> {
  const first = await runId(id);
  for (let i = 0; i < 200; i++) {
    const res = await api.amend(org.manager, id, { amount: 1000 + (i % 2), currency: 'CNY' });
    expect(res.status).toBe(200);
    if ((await runId(id)) !== first) return;
  }
  throw new Error('the deal never continued as new: is the test server suggesting it?');
}

test('on hold, escalated, with a sign-off in: all of it carries over, and the clock goes on where it stopped', async () => {
  const def: ProcessDefinition = {
    key: 'can-held',
    name: { en: 'CAN held', zh: '续跑暂停' },
    stages: [
      stage('work', {
        sla: {
          within: '2s',
          escalate: [
            { after: '0s', notify: ['manager'] },
            { after: '25s', notify: ['manager+1'] },
          ],
        },
      }),
      soloStage('after'),
    ],
  };
  const key = (await applyDefinition(world, def)).key;
  const id = (
    await api.createOn(org.manager, key, triangleOf(org), { value: { amount: 1000, currency: 'CNY' } })
  ).body.id as string;
  const retryKey = { 'Idempotency-Key': `can-${world.ns}` };
  const signed = await api.sign(org.ar, id, { stage: 'work' }, retryKey);
  expect(signed.status).toBe(200);
  // Overdue: level 1 fires.
  await eventually(async () => (await api.get(org.manager, id)).body.stage.escalationLevel === 1, 30_000);
  expect((await api.command(org.manager, id, 'hold', { reason: 'customer audit' })).status).toBe(200);
  const held = await world.client.workflow.getHandle(workflowIdForDeal(id)).query(dealQuery);
  const remainingMs = held.hold!.remainingMs!;
  expect(remainingMs).toBeLessThan(0); // overdue when held

  await untilContinuedAsNew(id);

  const view = await world.client.workflow.getHandle(workflowIdForDeal(id)).query(dealQuery);
  expect(view).toMatchObject({ status: 'on_hold', hold: { remainingMs } });
  expect(view.stage).toMatchObject({ key: 'work', escalationLevel: 1, dueAt: null });
  expect(view.stage!.signoffs.map((s) => s.role)).toEqual(['AR']);

  // The same sign-off, retried with its Idempotency-Key in the new run, is not applied twice.
  const again = await api.sign(org.ar, id, { stage: 'work' }, retryKey);
  expect(again.status).toBe(200);

  // Resumed: the clock restarts with the (negative) time that was left; level 2 fires once, at
  // due + 25 s, and level 1 never again.
  const resumedAt = Date.now();
  const resumed = await api.command(org.manager, id, 'resume');
  expect(resumed.status).toBe(200);
  const due = Date.parse(resumed.body.stage.dueAt);
  expect(Math.abs(due - (resumedAt + remainingMs))).toBeLessThan(5_000);
  await eventually(async () => (await api.get(org.manager, id)).body.stage.escalationLevel === 2, 60_000);
  const events = await api.timeline(org.manager, id);
  const levels = events.filter((e) => e.type === 'stage.escalated').map((e) => e.data.level);
  expect(levels).toEqual([1, 2]);
  const level2 = events.find((e) => e.type === 'stage.escalated' && e.data.level === 2)!;
  expect(level2.data.dueAt).toBe(resumed.body.stage.dueAt);
  expect(events.filter((e) => e.type === 'signoff.approved')).toHaveLength(1);
  // Sequence numbers run on without a gap across runs.
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
}, 180_000);

test('mid-stage and active: the deal continues as new and its next reminder still comes on time', async () => {
  const def: ProcessDefinition = {
    key: 'can-active',
    name: { en: 'CAN active', zh: '续跑进行' },
    stages: [stage('work', { sla: { within: '40s', remind: ['20s'] } }), soloStage('after')],
  };
  const key = (await applyDefinition(world, def)).key;
  const id = (
    await api.createOn(org.manager, key, triangleOf(org), { value: { amount: 1000, currency: 'CNY' } })
  ).body.id as string;
  expect((await api.sign(org.sr, id, { stage: 'work' })).status).toBe(200);
  const dueAt = (await api.get(org.manager, id)).body.stage.dueAt;
  await untilContinuedAsNew(id);
  const reminder = await eventually(async () => {
    const events = await api.timeline(org.manager, id);
    return events.find((e) => e.type === 'stage.reminder');
  }, 60_000);
  expect(reminder.data).toMatchObject({ index: 0, dueAt });
  // The remaining signers finish the stage in the new run.
  expect((await api.sign(org.ar, id, { stage: 'work' })).status).toBe(200);
  const moved = await api.sign(org.fr, id, { stage: 'work' });
  expect(moved.body.stage.key).toBe('after');
}, 180_000);
