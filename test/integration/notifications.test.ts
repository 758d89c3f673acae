/**
 * Notification delivery on the real servers: real Temporal (delivery workflows), real Postgres,
 * a real SMTP server and real HTTP receivers. Deliveries retry fast here (1 s, doubling, 8 s budget).
 */

import request from 'supertest';
import { signFeishu, verifyGenericSignature } from '../../notifications/webhook-formats';
import { workflowIdForDeal } from '../../workflows/messages';
import {
  closedPort,
  createDeal,
  createTeam,
  deliveries,
  type HttpReceiver,
  notifyProcess,
  outbox,
  type SmtpReceiver,
  signoff,
  startHttpReceiver,
  startSmtpReceiver,
  type Team,
} from './support/notification-receivers';
import { applyDefinition, eventually, startWorld, untilQuiescent, type World } from './support/world';

const BUDGET_MS = 8_000;

let world: World;
let smtp: SmtpReceiver;
let processKey: string;
const receivers: HttpReceiver[] = [];

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  world = await startWorld({
    smtpUrl: smtp.url,
    deliveryRetry: {
      initialIntervalMs: 1_000,
      backoffCoefficient: 2,
      maximumIntervalMs: 2_000,
      scheduleToCloseMs: BUDGET_MS,
      attemptTimeoutMs: 3_000,
    },
  });
  processKey = (await applyDefinition(world, notifyProcess)).key;
});

afterAll(async () => {
  for (const w of added) await request(world.app).delete(`/webhooks/${w.id}`).set(w.team.ops.auth);
  await world?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await smtp?.close();
});

async function receiver(opts: Parameters<typeof startHttpReceiver>[0] = {}): Promise<HttpReceiver> {
  const r = await startHttpReceiver(opts);
  receivers.push(r);
  return r;
}

/** Webhooks this file added: removed afterwards, so no other file's deals are delivered to them. */
const added: { id: string; team: Team }[] = [];

async function addWebhook(team: Team, body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await request(world.app).post('/webhooks').set(team.ops.auth).send(body);
  expect(res.status).toBe(201);
  added.push({ id: res.body.id, team });
  return res.body;
}

/** A notification's delivery workflow result, once the deal has started it (just after the write). */
async function deliveryResult(notificationId: string) {
  const handle = world.client.workflow.getHandle(`notify-${notificationId}`);
  await eventually(() => handle.describe().then(() => true));
  return handle.result();
}

function mailsTo(team: Team, who: keyof Team, dealId: string) {
  const address = team.email(team[who] as Team['ar']);
  return smtp.mails.filter((m) => m.rcptTo.includes(address) && m.headers.get('x-ltc-deal') === dealId);
}

test('email: each recipient gets the task in their locale, with a stable Message-ID', async () => {
  const team = await createTeam(world, 'mail');
  const deal = await createDeal(world, team, processKey, 'Harbour cranes');

  const [arMail] = await eventually(async () => {
    const m = mailsTo(team, 'ar', deal.id);
    return m.length ? m : undefined;
  });
  const [srMail] = await eventually(async () => {
    const m = mailsTo(team, 'sr', deal.id);
    return m.length ? m : undefined;
  });
  const [arRow] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  const [srRow] = await outbox(world, deal.id, { kind: 'task', userId: team.sr.id });

  expect(arMail.subject).toBe('[Sign-off needed] Harbour cranes · Qualify');
  expect(arMail.headers.get('message-id')).toBe(`<${arRow.id}@ltc.local>`);
  expect(arMail.headers.get('x-ltc-id')).toBe(arRow.id);
  expect(arMail.text).toContain('Account: Shenzhen Metro');
  expect(arMail.text).toContain('Stage: Qualify');
  expect(arMail.text).toMatch(/Due: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  expect(arMail.text).toContain(`http://localhost:3000/deals/${deal.id}`);

  // the zh user reads Chinese: subject, body and the in-app text
  expect(srMail.subject).toBe('【待签核】Harbour cranes · 资格审查');
  expect(srMail.headers.get('message-id')).toBe(`<${srRow.id}@ltc.local>`);
  expect(srMail.text).toContain('客户：Shenzhen Metro');
  expect(srMail.text).toContain('阶段：资格审查');
  expect(srMail.text).toMatch(/截止时间：\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  expect(srRow.text).toContain('请签核交易「Harbour cranes」的「资格审查」阶段');
  const inbox = await request(world.app).get('/me/notifications').set(team.sr.auth);
  expect(inbox.body.items[0].text).toBe(srRow.text);

  await eventually(async () => (await deliveries(world, arRow.id))[0]?.status === 'sent');
  expect(await deliveries(world, arRow.id)).toEqual([
    { channel: 'email', status: 'sent', attempts: 1, last_error: null },
  ]);
  // sent exactly once: nothing is left to send, and one mail arrived
  await untilQuiescent(world, [deal.id]);
  expect(mailsTo(team, 'ar', deal.id)).toHaveLength(1);
});

test('a deal that ends delivers every notification, the one its deciding sign-off wrote too', async () => {
  const team = await createTeam(world, 'ends');
  const deal = await createDeal(world, team, processKey, 'Tunnel boring');
  await signoff(world, team.ar, deal.id, 'qualify');
  await signoff(world, team.sr, deal.id, 'qualify');
  const closed = await signoff(world, team.fr, deal.id, 'close');
  expect(closed.status).toBe('completed');
  await eventually(async () => {
    const { status } = await world.client.workflow.getHandle(workflowIdForDeal(deal.id)).describe();
    return status.name === 'COMPLETED';
  });

  // The FR's sign-off decided the last stage and ended the deal: its write's notifications are in
  // the outbox with the others, and every one is mailed, by its id.
  const rows = await outbox(world, deal.id);
  const decidedLast = await world.sql`
    select id from notifications where deal_id = ${deal.id} and stage = 'close' and kind = 'decision'`;
  expect(decidedLast).toHaveLength(3);
  // Each row mailed, and its delivery recorded as sent (marked once the SMTP server has taken it).
  const unsent = async () => {
    const mailed = new Set(smtp.mails.map((m) => m.headers.get('x-ltc-id')));
    const out: string[] = [];
    for (const r of rows) {
      const sent = mailed.has(r.id) && (await deliveries(world, r.id)).every((d) => d.status === 'sent');
      if (!sent) out.push(`${r.kind} → ${r.user_id}: ${r.text}`);
    }
    return out;
  };
  const left = await eventually(async () => ((await unsent()).length === 0 ? [] : undefined), 30_000).catch(
    unsent,
  );
  expect(left).toEqual([]);
  for (const r of rows)
    expect(await deliveries(world, r.id)).toEqual([
      expect.objectContaining({ channel: 'email', status: 'sent' }),
    ]);
});

test('generic webhook of a user: signed, stable id, only that user’s notifications', async () => {
  const team = await createTeam(world, 'gen');
  const hook = await receiver();
  const secret = 'gen-secret-0123456789';
  const webhook = await addWebhook(team, { url: hook.url, format: 'generic', secret, userId: team.ar.id });

  const deal = await createDeal(world, team, processKey, 'Grid expansion');
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  const [req] = await eventually(async () => (hook.requests.length ? hook.requests : undefined));

  expect(req.method).toBe('POST');
  expect(req.headers['content-type']).toBe('application/json');
  expect(req.headers['x-ltc-id']).toBe(row.id);
  expect(req.headers['x-ltc-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  expect(
    verifyGenericSignature(secret, req.headers['x-ltc-timestamp'], req.headers['x-ltc-signature'], req.raw),
  ).toBe(true);
  expect(
    verifyGenericSignature('wrong', req.headers['x-ltc-timestamp'], req.headers['x-ltc-signature'], req.raw),
  ).toBe(false);
  expect(req.json).toEqual({
    id: row.id,
    kind: 'task',
    dealId: deal.id,
    stage: 'qualify',
    recipients: [team.ar.id],
    text: expect.stringContaining('Please sign off stage "Qualify" of deal "Grid expansion".'),
    at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  });
  await eventually(async () =>
    (await deliveries(world, row.id)).some(
      (d) => d.channel === `webhook:${webhook.id}` && d.status === 'sent',
    ),
  );

  // SR's task (and anything else not addressed to the AR) never reaches the AR's webhook
  await signoff(world, team.ar, deal.id, 'qualify');
  await signoff(world, team.sr, deal.id, 'qualify');
  const decisions = await eventually(async () => {
    const r = hook.requests.filter((x) => x.json.kind === 'decision');
    return r.length ? r : undefined;
  });
  expect(decisions).toHaveLength(1);
  expect(
    hook.requests.every((x) => x.json.recipients.length === 1 && x.json.recipients[0] === team.ar.id),
  ).toBe(true);
});

test('feishu team webhook: the team’s decisions only, as signed cards in each recipient’s locale', async () => {
  const team = await createTeam(world, 'fs');
  const other = await createTeam(world, 'fs2');
  const hook = await receiver({ okBody: '{"code":0,"msg":"success"}' });
  const secret = 'feishu-secret';
  await addWebhook(team, {
    url: hook.url,
    format: 'feishu',
    secret,
    teamManagerId: team.manager.id,
    events: ['decision'],
  });

  const deal = await createDeal(world, team, processKey, 'Port automation');
  const otherDeal = await createDeal(world, other, processKey, 'Other team deal');
  await signoff(world, team.ar, deal.id, 'qualify');
  await signoff(world, team.sr, deal.id, 'qualify');
  await signoff(world, other.ar, otherDeal.id, 'qualify');
  await signoff(world, other.sr, otherDeal.id, 'qualify');

  // one POST per notification: the decision goes to AR, SR and FR
  await eventually(async () => hook.requests.length >= 3);
  await untilQuiescent(world, [deal.id, otherDeal.id]);
  const posts = hook.requests;
  expect(posts).toHaveLength(3);
  for (const p of posts) {
    expect(p.json.msg_type).toBe('interactive');
    expect(p.json.sign).toBe(signFeishu(secret, p.json.timestamp));
    expect(p.json.card.elements[0].tag).toBe('markdown');
  }
  const titles = posts.map((p) => p.json.card.header.title.content).sort();
  expect(titles).toEqual([
    '[Approved] Port automation · Qualify',
    '[Approved] Port automation · Qualify',
    '【已通过】Port automation · 资格审查',
  ]);
  expect(JSON.stringify(posts)).not.toContain('Other team deal');
});

test('a receiver that is down and comes back gets the notification exactly once', async () => {
  const team = await createTeam(world, 'down');
  // 500, 500, then fine
  const hook = await receiver({ respond: (_r, n) => (n <= 2 ? 500 : 200) });
  const webhook = await addWebhook(team, {
    url: hook.url,
    format: 'generic',
    secret: 'down-secret',
    userId: team.ar.id,
    events: ['task'],
  });
  const deal = await createDeal(world, team, processKey);
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });

  await eventually(async () => hook.delivered().length === 1);
  expect(hook.requests.map((r) => r.status)).toEqual([500, 500, 200]);
  // retried with backoff: 1 s, then doubling to 2 s (lower bounds only: a loaded machine is later)
  const [first, second, third] = hook.requests.map((r) => r.at);
  expect(second - first).toBeGreaterThanOrEqual(900);
  expect(third - second).toBeGreaterThanOrEqual(1_800);
  expect(new Set(hook.requests.map((r) => r.json.id))).toEqual(new Set([row.id]));
  expect(new Set(hook.requests.map((r) => r.headers['x-ltc-id']))).toEqual(new Set([row.id]));
  // the body is byte-identical across attempts (receivers may dedupe on it too)
  expect(new Set(hook.requests.map((r) => r.raw)).size).toBe(1);

  await eventually(async () =>
    (await deliveries(world, row.id)).some(
      (d) => d.channel === `webhook:${webhook.id}` && d.status === 'sent',
    ),
  );
  const d = (await deliveries(world, row.id)).find((x) => x.channel === `webhook:${webhook.id}`)!;
  expect(d).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
  await untilQuiescent(world, [deal.id]);
  expect(hook.delivered()).toHaveLength(1);
  expect(hook.requests).toHaveLength(3);
});

test('a worker stopped mid-send: the retry carries the same id, so the receiver can dedupe', async () => {
  const team = await createTeam(world, 'crash');
  // the first request is taken in and never answered (the worker goes away meanwhile)
  const hook = await receiver({ respond: (_r, n) => (n === 1 ? 'hang' : 200) });
  const webhook = await addWebhook(team, {
    url: hook.url,
    format: 'generic',
    secret: 'crash-secret',
    userId: team.ar.id,
    events: ['task'],
  });
  const deal = await createDeal(world, team, processKey);
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  await eventually(async () => hook.requests.length === 1);
  await world.restartWorker();

  await eventually(async () => hook.delivered().length === 1);
  const channel = `webhook:${webhook.id}`;
  await eventually(
    async () => (await deliveries(world, row.id)).find((d) => d.channel === channel)?.status === 'sent',
  );
  // what the receiver saw twice is one notification: same X-LTC-Id, same body
  expect(hook.requests.map((r) => r.headers['x-ltc-id'])).toEqual([row.id, row.id]);
  expect(hook.requests[0].raw).toBe(hook.requests[1].raw);
  const seen = new Set(hook.requests.map((r) => r.json.id));
  expect(seen).toEqual(new Set([row.id]));
});

test('retries exhausted: the delivery shows as failed to ops, and one call resends it', async () => {
  const team = await createTeam(world, 'fail');
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}/hook`;
  const webhook = await addWebhook(team, {
    url,
    format: 'generic',
    secret: 'fail-secret',
    userId: team.ar.id,
    events: ['task'],
  });
  const deal = await createDeal(world, team, processKey);
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  const channel = `webhook:${webhook.id}`;

  const failed = await eventually(async () => {
    const res = await request(world.app).get('/notifications/failed').set(team.ops.auth);
    return res.body.items?.find((i: { notificationId: string }) => i.notificationId === row.id);
  }, 30_000);
  expect(failed).toMatchObject({
    notificationId: row.id,
    channel,
    kind: 'task',
    dealId: deal.id,
    stage: 'qualify',
    userId: team.ar.id,
  });
  expect(failed.attempts).toBeGreaterThanOrEqual(3);
  expect(failed.lastError).toBe('connection refused');
  // the email of the same notification went out regardless
  expect((await deliveries(world, row.id)).find((d) => d.channel === 'email')?.status).toBe('sent');
  // not for everyone
  expect((await request(world.app).get('/notifications/failed').set(team.ar.auth)).status).toBe(403);
  expect((await request(world.app).post(`/notifications/${row.id}/resend`).set(team.ar.auth)).status).toBe(
    403,
  );

  // the receiver is back: one call resends
  const hook = await receiver({ port });
  const resent = await request(world.app).post(`/notifications/${row.id}/resend`).set(team.ops.auth);
  expect(resent.status).toBe(202);
  expect(resent.body).toEqual({
    notificationId: row.id,
    channels: [channel],
    workflowIds: [`notify-${row.id}-resend-${channel}`],
  });
  await eventually(async () => hook.delivered().length === 1);
  expect(hook.requests[0].json.id).toBe(row.id);
  await eventually(
    async () => (await deliveries(world, row.id)).find((d) => d.channel === channel)?.status === 'sent',
  );
  const after = await request(world.app).get('/notifications/failed').set(team.ops.auth);
  expect(after.body.items.some((i: { notificationId: string }) => i.notificationId === row.id)).toBe(false);

  // nothing left to resend; unknown notification
  expect((await request(world.app).post(`/notifications/${row.id}/resend`).set(team.ops.auth)).status).toBe(
    409,
  );
  expect((await request(world.app).post('/notifications/ntf_nope/resend').set(team.ops.auth)).status).toBe(
    404,
  );
});

test('preferences narrow the channels per kind', async () => {
  const team = await createTeam(world, 'pref');
  const hook = await receiver();
  const webhook = await addWebhook(team, {
    url: hook.url,
    format: 'generic',
    secret: 'pref-secret',
    userId: team.ar.id,
  });
  const put = await request(world.app)
    .put('/users/me/notification-preferences')
    .set(team.ar.auth)
    .send({ task: ['inbox'], decision: ['email'] });
  expect(put.status).toBe(200);
  expect(put.body).toEqual({
    task: ['inbox'],
    reminder: ['inbox', 'email', 'webhook'],
    escalation: ['inbox', 'email', 'webhook'],
    decision: ['email'],
    status: ['inbox', 'email', 'webhook'],
  });

  const deal = await createDeal(world, team, processKey, 'Preference deal');
  const [arTask] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  const [srTask] = await outbox(world, deal.id, { kind: 'task', userId: team.sr.id });
  // the AR's task: inbox only, so its delivery workflow has nothing to send
  const result = await deliveryResult(arTask.id);
  expect(result).toEqual({ notificationId: arTask.id, deliveries: [] });
  // the SR has no preferences: email as usual
  await eventually(async () => (await deliveries(world, srTask.id)).some((d) => d.status === 'sent'));

  await signoff(world, team.ar, deal.id, 'qualify');
  await signoff(world, team.sr, deal.id, 'qualify');
  await eventually(
    async () => (await outbox(world, deal.id, { kind: 'decision', userId: team.ar.id })).length,
  );
  const [arDecision] = await outbox(world, deal.id, { kind: 'decision', userId: team.ar.id });
  const decided = await deliveryResult(arDecision.id);
  expect(decided.deliveries).toEqual([{ channel: 'email', status: 'sent' }]);
  expect(mailsTo(team, 'ar', deal.id).map((m) => m.headers.get('x-ltc-id'))).toEqual([arDecision.id]);
  expect(hook.requests).toHaveLength(0);
  expect(await deliveries(world, arDecision.id)).toEqual([
    expect.objectContaining({ channel: 'email', status: 'sent' }),
  ]);
  expect(webhook.id).toBeTruthy();

  // the decision is kept out of the AR's inbox; the task is there
  const inbox = await request(world.app).get('/me/notifications').set(team.ar.auth);
  expect(inbox.body.items.map((i: { kind: string }) => i.kind)).toEqual(['task']);
});

test('a dead webhook never delays the deal', async () => {
  const team = await createTeam(world, 'dead');
  // accepts connections and never answers
  const hook = await receiver({ respond: () => 'hang' });
  await addWebhook(team, {
    url: hook.url,
    format: 'generic',
    secret: 'dead-secret',
    teamManagerId: team.manager.id,
  });

  const deal = await createDeal(world, team, processKey);
  await eventually(async () => hook.requests.length >= 2); // the AR's and SR's tasks are stuck in flight
  const [arTask] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  await signoff(world, team.ar, deal.id, 'qualify');
  await signoff(world, team.sr, deal.id, 'qualify');
  await eventually(
    async () =>
      (await request(world.app).get(`/deals/${deal.id}`).set(team.fr.auth)).body.stage?.key === 'close',
  );
  await signoff(world, team.fr, deal.id, 'close');
  await eventually(
    async () =>
      (await request(world.app).get(`/deals/${deal.id}`).set(team.fr.auth)).body.status === 'completed',
  );
  // The deal finished before the first stuck delivery did (it is still pending, within its 8 s
  // budget of 3 s attempts): nothing in the deal waited on the webhook.
  expect(hook.delivered()).toHaveLength(0);
  expect((await deliveries(world, arTask.id)).find((d) => d.channel.startsWith('webhook:'))?.status).toBe(
    'pending',
  );
  // and the webhook is still being tried meanwhile
  await eventually(async () => new Set(hook.requests.map((r) => r.json.id)).size >= 5);
});
