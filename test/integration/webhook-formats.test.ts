/**
 * The chat formats end to end: a real deal on the real servers notifies a real local HTTP receiver
 * (allow-listed as WEBHOOK_ALLOW_HOSTS would), which sees exactly what WeCom, DingTalk or Slack
 * would receive. Feishu and the generic format are in notifications.test.ts.
 */
import { signDingTalk } from '../../notifications/webhook-formats';
import {
  createDeal,
  createTeam,
  deliveries,
  notifyProcess,
  outbox,
  signoff,
  webhookFixtures,
} from './support/notification-receivers';
import { applyDefinition, eventually, startWorld, untilQuiescent, type World } from './support/world';

let world: World;
let processKey: string;
const { receiver, addWebhook, removeWebhooks, closeReceivers } = webhookFixtures(() => world);

beforeAll(async () => {
  world = await startWorld({
    deliveryRetry: {
      initialIntervalMs: 500,
      backoffCoefficient: 2,
      maximumIntervalMs: 1_000,
      scheduleToCloseMs: 8_000,
      attemptTimeoutMs: 3_000,
    },
  });
  processKey = (await applyDefinition(world, notifyProcess)).key;
});

afterAll(async () => {
  await removeWebhooks();
  await world?.stop();
  await closeReceivers();
});

const link = (dealId: string) => `http://localhost:3000/deals/${dealId}`;

test('WeCom group robot: one markdown message per notification in the reader’s language; an errcode answered with 200 is retried', async () => {
  const team = await createTeam(world, 'wecom');
  const key = '693a91f6-7f3e-4bc4-97a0-0ec2a1fa5aaa';
  // The robot's first answer is a platform error inside an HTTP 200, as WeCom rate-limits.
  const hook = await receiver({
    respond: (_r, n) =>
      n === 1 ? { status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' } : 200,
    okBody: '{"errcode":0,"errmsg":"ok"}',
  });
  const webhook = await addWebhook(team, {
    url: `${hook.url}?key=${key}`,
    format: 'wecom',
    teamManagerId: team.manager.id,
    events: ['task'],
  });
  const deal = await createDeal(world, team, processKey, 'Harbour cranes');
  const tasks = await outbox(world, deal.id, { kind: 'task' });
  expect(tasks.map((t) => t.user_id).sort()).toEqual([team.ar.id, team.sr.id].sort());

  await eventually(async () => hook.requests.length === 3);
  await untilQuiescent(world, [deal.id]);
  // two notifications, one of them tried twice: three requests, the first one refused in its body
  expect(hook.requests).toHaveLength(3);
  const accepted = hook.requests.slice(1);
  // the retry carries the same message; the other accepted one is the other notification
  expect(accepted.filter((r) => r.raw === hook.requests[0].raw)).toHaveLength(1);
  for (const r of hook.requests) {
    expect(r.method).toBe('POST');
    expect(r.path).toBe(`/hook?key=${key}`);
    expect(r.headers['content-type']).toBe('application/json');
    expect(Object.keys(r.json)).toEqual(['msgtype', 'markdown']);
    expect(r.json.msgtype).toBe('markdown');
  }
  const contents = accepted.map((r) => r.json.markdown.content as string);
  const en = contents.find((c) => c.startsWith('**[Sign-off needed] Harbour cranes · Qualify**'));
  const zh = contents.find((c) => c.startsWith('**【待签核】Harbour cranes · 资格审查**'));
  expect(en).toContain('Shenzhen Metro');
  expect(en?.endsWith(`[Open deal](${link(deal.id)})`)).toBe(true);
  expect(zh?.endsWith(`[查看交易](${link(deal.id)})`)).toBe(true);

  const channel = `webhook:${webhook.id}`;
  const rows = await Promise.all(tasks.map(async (t) => (await deliveries(world, t.id))[0]));
  expect(rows.map((d) => [d.channel, d.status, d.last_error])).toEqual([
    [channel, 'sent', null],
    [channel, 'sent', null],
  ]);
  expect(rows.map((d) => d.attempts).sort()).toEqual([1, 2]);
});

test('DingTalk custom robot with 加签: timestamp and sign in the query, a markdown title and text', async () => {
  const team = await createTeam(world, 'ding');
  const token = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const secret = 'SEC0123456789abcdef-ding-secret';
  const hook = await receiver({ okBody: '{"errcode":0,"errmsg":"ok"}' });
  const webhook = await addWebhook(team, {
    url: `${hook.url}?access_token=${token}`,
    format: 'dingtalk',
    secret,
    userId: team.ar.id,
    events: ['task'],
  });
  const before = Date.now();
  const deal = await createDeal(world, team, processKey, 'Grid expansion');
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  await eventually(async () => hook.delivered().length === 1);
  await untilQuiescent(world, [deal.id]);
  expect(hook.requests).toHaveLength(1); // the AR's task only: the SR's is not for this robot

  const [req] = hook.requests;
  const url = new URL(req.path, 'http://receiver');
  expect(url.pathname).toBe('/hook');
  expect(url.searchParams.get('access_token')).toBe(token);
  const timestamp = url.searchParams.get('timestamp')!;
  expect(Number(timestamp)).toBeGreaterThanOrEqual(before); // milliseconds, taken when sending
  expect(Number(timestamp)).toBeLessThanOrEqual(req.at);
  expect(url.searchParams.get('sign')).toBe(signDingTalk(secret, timestamp));
  expect(req.headers['content-type']).toBe('application/json');
  expect(req.json).toEqual({
    msgtype: 'markdown',
    markdown: {
      title: '[Sign-off needed] Grid expansion · Qualify',
      text: expect.stringMatching(/^\*\*\[Sign-off needed\] Grid expansion · Qualify\*\*\n/),
    },
  });
  expect(req.json.markdown.text).toContain('- Account: Shenzhen Metro');
  expect(req.json.markdown.text.endsWith(`[Open deal](${link(deal.id)})`)).toBe(true);
  expect(await deliveries(world, row.id)).toEqual([
    { channel: `webhook:${webhook.id}`, status: 'sent', attempts: 1, last_error: null },
  ]);
});

test('Slack incoming webhook: the team’s decisions as mrkdwn sections with the deal link, the title as text', async () => {
  const team = await createTeam(world, 'slack');
  const hook = await receiver({ okBody: 'ok' });
  const webhook = await addWebhook(team, {
    url: `http://${hook.hostPort}/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx`,
    format: 'slack',
    teamManagerId: team.manager.id,
    events: ['decision'],
  });
  const deal = await createDeal(world, team, processKey, 'Port <automation> & cranes');
  await signoff(world, team.ar, deal.id, 'qualify');
  await signoff(world, team.sr, deal.id, 'qualify');
  // the decision goes to AR, SR and FR: one POST each, and nothing else (tasks are not subscribed)
  await eventually(async () => hook.delivered().length >= 3);
  await untilQuiescent(world, [deal.id]);
  expect(hook.requests).toHaveLength(3);

  for (const r of hook.requests) {
    expect(r.path).toBe('/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json.blocks).toHaveLength(1);
    expect(r.json.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
  }
  const texts = hook.requests.map((r) => r.json.text as string).sort();
  expect(texts).toEqual([
    '[Approved] Port &lt;automation&gt; &amp; cranes · Qualify',
    '[Approved] Port &lt;automation&gt; &amp; cranes · Qualify',
    '【已通过】Port &lt;automation&gt; &amp; cranes · 资格审查',
  ]);
  const en = hook.requests.find((r) => r.json.text.startsWith('[Approved]'))!.json.blocks[0].text.text;
  expect(en.split('\n')[0]).toBe('*[Approved] Port &lt;automation&gt; &amp; cranes · Qualify*');
  expect(en).toContain('• Account: Shenzhen Metro');
  expect(en.endsWith(`<${link(deal.id)}|Open deal>`)).toBe(true);

  const decisions = await outbox(world, deal.id, { kind: 'decision' });
  expect(decisions).toHaveLength(3);
  for (const d of decisions) {
    expect(await deliveries(world, d.id)).toEqual([
      { channel: `webhook:${webhook.id}`, status: 'sent', attempts: 1, last_error: null },
    ]);
  }
});
