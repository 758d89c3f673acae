/**
 * How deals end and what they show on the way, end to end on the real servers: a gate passed by an
 * automatic approve, a deal lost by a rejection, and the search attributes upserted only when one of
 * them changes (counted in the workflow's real history).
 */
import request from 'supertest';
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

async function newDeal(def: ProcessDefinition, title: string): Promise<string> {
  const key = (await applyDefinition(world, def)).key;
  const res = await api.createOn(org.manager, key, triangleOf(org), {
    title: `${title} ${world.ns}`,
    value: { amount: 250_000, currency: 'CNY' },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function tasksOf(user: typeof org.ar) {
  const res = await request(world.app).get('/me/tasks').set(user.auth);
  expect(res.status).toBe(200);
  return res.body.items as { dealId: string; stage: string }[];
}

test('an automatic approve passes the gate for the signers still pending, as system, and the deal goes on', async () => {
  const id = await newDeal(
    {
      key: 'auto-approve',
      name: { en: 'Auto approve', zh: '自动通过' },
      stages: [
        stage('review', {
          sla: { within: '1s', escalate: [{ after: '0s', notify: ['manager'], action: 'approve' }] },
        }),
        soloStage('close'),
      ],
    },
    'Auto approve',
  );
  expect((await api.sign(org.ar, id, { stage: 'review' })).status).toBe(200);
  // Due after 1 s: the escalation approves for SR and FR, and the deal enters `close`.
  const moved = await api.waitFor(org.manager, id, { stage: 'close' }, 30_000);
  expect(moved.status).toBe('active');
  expect(moved.stage.waitingOn).toEqual([{ role: 'AR', userId: org.ar.id }]);

  const events = await api.timeline(org.manager, id);
  const review = events.filter((e) => e.stage === 'review' && e.type !== 'stage.entered');
  expect(review.map((e) => [e.type, e.actorId])).toEqual([
    ['signoff.approved', org.ar.id],
    ['stage.escalated', 'system'],
    ['stage.auto_decided', 'system'],
    ['stage.completed', 'system'],
  ]);
  expect(review[1].data).toMatchObject({ level: 1, notified: [org.manager.id] });
  expect(review[2].data).toMatchObject({ decision: 'approve', level: 1 });
  expect(review[3].data).toMatchObject({ outcome: 'auto_approved' });
  // Nobody is asked to sign `review` any more; the late sign-off names the stage the deal is in.
  for (const u of [org.sr, org.fr]) expect((await tasksOf(u)).some((t) => t.dealId === id)).toBe(false);
  const late = await api.sign(org.sr, id, { stage: 'review' });
  expect(late.status).toBe(409);
  expect(late.body.code).toBe('stale_stage');
  const [visit] = await world.sql`
    select outcome, breached, escalations from stage_visits where deal_id = ${id} and stage_key = 'review'`;
  expect(visit).toEqual({ outcome: 'auto_approved', breached: true, escalations: 1 });

  expect((await api.sign(org.ar, id, { stage: 'close' })).body.status).toBe('completed');
  const result = await world.client.workflow.getHandle(workflowIdForDeal(id)).result();
  expect(result.status).toBe('completed');
});

test('a rejection at a stage whose onReject is lost ends the deal as lost, with the reason, for everyone', async () => {
  const id = await newDeal(
    {
      key: 'lost',
      name: { en: 'Lost', zh: '丢单' },
      stages: [stage('qualify', { onReject: 'lost' }), soloStage('next')],
    },
    'Lost by rejection',
  );
  expect((await api.sign(org.ar, id, { stage: 'qualify' })).status).toBe(200);
  const rejected = await api.sign(org.sr, id, {
    stage: 'qualify',
    decision: 'reject',
    comment: 'no budget this year',
  });
  expect(rejected.status).toBe(200);
  expect(rejected.body).toMatchObject({ id, status: 'lost', stage: null });

  const result = await world.client.workflow.getHandle(workflowIdForDeal(id)).result();
  expect(result.status).toBe('lost');
  const events = await api.timeline(org.manager, id);
  expect(events.slice(-3).map((e) => [e.type, e.actorId])).toEqual([
    ['signoff.rejected', org.sr.id],
    ['stage.completed', 'system'],
    ['deal.lost', 'system'],
  ]);
  expect(events.at(-2)?.data).toMatchObject({ outcome: 'rejected' });
  expect(events.at(-1)?.data.reason).toBe('no budget this year');
  // The FR was still pending: no task left, and a late sign-off is refused.
  expect((await tasksOf(org.fr)).some((t) => t.dealId === id)).toBe(false);
  expect((await api.sign(org.fr, id, { stage: 'qualify' })).status).toBe(409);
  // The list finds it as lost; the stage visit is closed as rejected.
  const lost = await request(world.app)
    .get('/deals')
    .query({ status: 'lost', q: `Lost by rejection ${world.ns}` })
    .set(org.manager.auth);
  expect(lost.body.items.map((d: { id: string }) => d.id)).toEqual([id]);
  const visits = await world.sql`
    select stage_key, outcome from stage_visits where deal_id = ${id} order by stage_index`;
  expect(visits).toEqual([{ stage_key: 'qualify', outcome: 'rejected' }]);
  // The triangle hears the decision, with the reason.
  const decisions = await world.sql`
    select user_id from notifications where deal_id = ${id} and kind = 'decision' order by user_id`;
  expect(decisions.map((r) => r.user_id)).toEqual(Object.values(triangleOf(org)).sort());
});

test('search attributes are upserted only when one of them changes, not on every step', async () => {
  const id = await newDeal(
    {
      key: 'sa-changes',
      name: { en: 'SA changes', zh: '搜索属性' },
      stages: [
        stage('work', {
          sla: {
            within: '1s',
            escalate: [
              { after: '0s', notify: ['manager'] },
              { after: '1s', notify: ['manager+1'] },
            ],
          },
        }),
        soloStage('close'),
      ],
    },
    'Search attribute changes',
  );
  const handle = world.client.workflow.getHandle(workflowIdForDeal(id));
  // Two steps that change none of them: the escalations (stage, status, due time and pending
  // signers stay as they are).
  await eventually(async () => (await handle.query(dealQuery)).stage?.escalationLevel === 2, 30_000);
  // Steps that change them: each sign-off (pending signers), the last one also the stage and due time.
  const retry = { 'Idempotency-Key': `sa-${world.ns}` };
  expect((await api.sign(org.ar, id, { stage: 'work' })).status).toBe(200);
  expect((await api.sign(org.sr, id, { stage: 'work' }, retry)).status).toBe(200);
  expect((await api.sign(org.sr, id, { stage: 'work' }, retry)).status).toBe(200); // a retry: no step
  expect((await api.sign(org.fr, id, { stage: 'work' })).status).toBe(200);
  expect((await api.sign(org.ar, id, { stage: 'close' })).body.status).toBe('completed');
  await handle.result();

  const history = await handle.fetchHistory();
  // The deal's own upserts (not the SDK's TemporalChangeVersion, which patched() records).
  const upserts = (history.events ?? [])
    .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields)
    .filter((f) => f && Object.keys(f).some((k) => k.startsWith('Ltc')))
    .map((fields) =>
      JSON.stringify(
        Object.entries(fields!)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, p]) => [k, Buffer.from(p.data ?? new Uint8Array()).toString('utf8')]),
      ),
    );
  // One per distinct state: started (work, AR+SR+FR pending), AR signed, SR signed, FR signed (close,
  // AR pending, a new due time), completed. None for the escalations or the retried sign-off.
  expect(upserts).toHaveLength(5);
  for (let i = 1; i < upserts.length; i++) expect(upserts[i]).not.toBe(upserts[i - 1]);
  const decoded = upserts.map((u) => Object.fromEntries(JSON.parse(u) as [string, string][]));
  expect(decoded.map((d) => [JSON.parse(d.LtcStatus), JSON.parse(d.LtcStage ?? 'null')])).toEqual([
    ['active', 'work'],
    ['active', 'work'],
    ['active', 'work'],
    ['active', 'close'],
    ['completed', null],
  ]);
  const timeline = await api.timeline(org.manager, id);
  expect(timeline.filter((e) => e.type === 'stage.escalated')).toHaveLength(2);
});
