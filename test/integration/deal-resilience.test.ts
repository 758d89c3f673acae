/**
 * Nothing a client sends, and no write Postgres refuses, can fail a deal workflow or leave it stuck;
 * and its state stays bounded however often it loops.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import request from 'supertest';
import type { ProcessDefinition } from '../../domain/process/types';
import {
  amendUpdate,
  dealQuery,
  holdUpdate,
  signoffUpdate,
  workflowIdForDeal,
} from '../../workflows/messages';
import { dealApi } from './support/api';
import { soloStage } from './support/process';
import { applyDefinition, createOrg, eventually, startWorld, triangleOf, type World } from './support/world';

let world: World;
let org: Awaited<ReturnType<typeof createOrg>>;
let api: ReturnType<typeof dealApi>;
let loopKey: string;

beforeAll(async () => {
  world = await startWorld();
  org = await createOrg(world);
  api = dealApi(world);
  const def: ProcessDefinition = {
    key: 'loop',
    name: { en: 'Loop', zh: '循环' },
    // A rejection sends the stage back to itself: rework without end, until someone approves.
    stages: [soloStage('a', { onReject: 'a' }), soloStage('b')],
  };
  loopKey = (await applyDefinition(world, def)).key;
});

afterAll(async () => {
  await world?.stop();
});

async function newDeal(title = `Resilience ${world.ns}`) {
  const res = await api.createOn(org.manager, loopKey, triangleOf(org), { title });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** The refusal a workflow Update answered, as `code:field`. */
async function refusedWith(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const details = (err.cause as { details?: { code?: string; field?: string }[] }).details?.[0];
    return `${details?.code}:${details?.field ?? ''}`;
  }
}

test('a caller reaching Temporal directly cannot poison a deal: the Update validators refuse what the API refuses', async () => {
  const id = await newDeal();
  const handle = world.client.workflow.getHandle(workflowIdForDeal(id));
  const actor = { actorId: org.ar.id, actingFor: [org.ar.id] };
  expect(
    await refusedWith(
      handle.executeUpdate(signoffUpdate, {
        args: [{ stage: 'a', decision: 'reject', comment: 'x\u0000y', ...actor }],
      }),
    ),
  ).toBe('invalid:comment');
  expect(
    await refusedWith(
      handle.executeUpdate(signoffUpdate, {
        args: [{ stage: 'a', decision: 'reject', comment: 'lone \ud800 surrogate', ...actor }],
      }),
    ),
  ).toBe('invalid:comment');
  expect(
    await refusedWith(
      handle.executeUpdate(holdUpdate, { args: [{ actorId: org.manager.id, reason: 'a\u0000' }] }),
    ),
  ).toBe('invalid:reason');
  expect(
    await refusedWith(
      handle.executeUpdate(amendUpdate, {
        args: [{ actorId: org.manager.id, value: { amount: 1e18, currency: 'CNY' }, mayRemove: 'any' }],
      }),
    ),
  ).toBe('invalid:value.amount');
  expect(
    await refusedWith(
      handle.executeUpdate(amendUpdate, {
        args: [{ actorId: org.manager.id, value: { amount: 10.005, currency: 'CNY' }, mayRemove: 'any' }],
      }),
    ),
  ).toBe('invalid:value.amount');
  expect(
    await refusedWith(
      handle.executeUpdate(signoffUpdate, { args: [{ stage: 42, decision: 'maybe' } as never] }),
    ),
  ).toMatch(/^invalid:/);

  // The deal still takes a sign-off, a hold, a resume and a cancel.
  expect((await api.sign(org.ar, id, { stage: 'a', decision: 'reject', comment: 'again' })).status).toBe(200);
  expect((await api.command(org.manager, id, 'hold', { reason: 'check' })).status).toBe(200);
  expect((await api.command(org.manager, id, 'resume')).status).toBe(200);
  const cancelled = await api.command(org.manager, id, 'cancel', { reason: 'done testing' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
});

test('Postgres refusing a deal’s writes leaves the deal usable, flagged for ops, and the projection catches up once the cause is gone', async () => {
  const id = await newDeal();
  const fn = `refuse_${world.ns}`;
  await world.sql.unsafe(`
    CREATE FUNCTION ${fn}() RETURNS trigger AS $$
    BEGIN
      IF NEW.deal_id = '${id}' THEN
        RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await world.sql.unsafe(
    `CREATE TRIGGER ${fn} BEFORE INSERT ON deal_events FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  );
  try {
    // Every command is still answered, from the workflow, with the deal flagged.
    const rework = await api.sign(org.ar, id, { stage: 'a', decision: 'reject', comment: 'once more' });
    expect(rework.status).toBe(200);
    expect(rework.body.fault).toMatchObject({ error: expect.stringContaining('refused by the test') });
    expect((await api.command(org.manager, id, 'hold', { reason: 'while refused' })).status).toBe(200);
    expect((await api.command(org.manager, id, 'resume')).status).toBe(200);
    expect((await api.sign(org.ar, id, { stage: 'a' })).status).toBe(200);
    // Ops see it on the deal (the flag is written apart from the refused rows).
    const flagged = await eventually(async () => {
      const d = (await api.get(org.ops, id)).body;
      return d.fault ? d : undefined;
    });
    expect(flagged.fault.error).toContain('refused by the test');
    const metrics = await request(world.app).get('/metrics').set(org.ops.auth);
    expect(Number(/^ltc_deal_write_faults (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(1);
    const query = await world.client.workflow.getHandle(workflowIdForDeal(id)).query(dealQuery);
    expect(query.stage?.key).toBe('b');
  } finally {
    await world.sql.unsafe(`DROP TRIGGER ${fn} ON deal_events`);
    await world.sql.unsafe(`DROP FUNCTION ${fn}()`);
  }
  // The cause is gone: the kept writes land, in order, with no gap, and the flag goes.
  const caughtUp = await eventually(async () => {
    const d = (await api.get(org.ops, id)).body;
    return d.fault === null && d.stage?.key === 'b' ? d : undefined;
  }, 60_000);
  expect(caughtUp.status).toBe('active');
  const events = await api.timeline(org.ar, id);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.map((e) => e.type)).toEqual([
    'deal.created',
    'stage.entered',
    'signoff.rejected',
    'stage.completed',
    'stage.entered',
    'deal.on_hold',
    'deal.resumed',
    'signoff.approved',
    'stage.completed',
    'stage.entered',
  ]);
  // And the deal carries on.
  expect((await api.sign(org.ar, id, { stage: 'b' })).body.status).toBe('completed');
});

test('1,000 rework loops of one stage: the deal still answers, completes, and its state stays bounded', async () => {
  const id = await newDeal(`Loops ${world.ns}`);
  const loops = 1000;
  for (let i = 0; i < loops; i++) {
    const res = await api.sign(org.ar, id, { stage: 'a', decision: 'reject', comment: `rework ${i}` });
    if (res.status !== 200) throw new Error(`loop ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.body.stage.visit).toBe(i + 2);
  }
  const handle = world.client.workflow.getHandle(workflowIdForDeal(id));
  const view = await handle.query(dealQuery);
  expect(view.stage).toMatchObject({ key: 'a', visit: loops + 1 });
  expect(view.stages).toBe(loops);
  expect(view.history!.length).toBeLessThanOrEqual(60);
  // The state a run carries is bounded: the current run's input stayed small.
  const described = await handle.describe();
  expect(described.runId).not.toBe(described.raw.workflowExecutionInfo?.firstRunId);
  expect((await api.sign(org.ar, id, { stage: 'a' })).body.stage.key).toBe('b');
  expect((await api.sign(org.ar, id, { stage: 'b' })).body.status).toBe('completed');
  const rows = await world.sql`select count(*)::int as n from stage_visits where deal_id = ${id}`;
  expect(rows[0].n).toBe(loops + 2);
  const result = await handle.result();
  expect(result.status).toBe('completed');
  expect(result.stages.length).toBeLessThanOrEqual(60);
}, 600_000);
