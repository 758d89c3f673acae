/**
 * Webhooks cannot reach inside, on the real servers: the address check when a webhook is created
 * and again when each delivery connects, what a failed delivery keeps, masked URLs, and mentions
 * defused in the chat formats. Local receivers are allow-listed by notification-receivers.ts;
 * `testDns` lets a name change its answer between creation and delivery, as a rebinding DNS would.
 */
import request from 'supertest';
import {
  createDeal,
  createTeam,
  deliveries,
  type HttpReceiver,
  notifyProcess,
  outbox,
  type Team,
  webhookFixtures,
} from './support/notification-receivers';
import {
  applyDefinition,
  eventually,
  startWorld,
  testDns,
  untilQuiescent,
  type World,
} from './support/world';

let world: World;
let processKey: string;
const { receiver, postWebhook, addWebhook, removeWebhooks, closeReceivers } = webhookFixtures(() => world);

beforeAll(async () => {
  world = await startWorld({
    deliveryRetry: {
      initialIntervalMs: 1_000,
      backoffCoefficient: 2,
      maximumIntervalMs: 2_000,
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

/** A generic webhook that gets the AR's tasks. */
function arTaskWebhook(team: Team, url: string) {
  return addWebhook(team, {
    url,
    format: 'generic',
    secret: 'hook-secret',
    userId: team.ar.id,
    events: ['task'],
  });
}

/** Start a deal: the AR's task is sent to `webhookId` at the first attempt. */
async function expectSentOnce(team: Team, webhookId: string) {
  const deal = await createDeal(world, team, processKey);
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  const channel = `webhook:${webhookId}`;
  const sent = await eventually(async () =>
    (await deliveries(world, row.id)).find((d) => d.channel === channel && d.status === 'sent'),
  );
  expect(sent).toMatchObject({ attempts: 1, last_error: null });
}

/** Start a deal: the AR's task fails on `webhookId` at the first attempt, as ops see it. */
async function expectFailedAtOnce(team: Team, webhookId: string, lastError: string) {
  const deal = await createDeal(world, team, processKey);
  const [row] = await outbox(world, deal.id, { kind: 'task', userId: team.ar.id });
  const failed = await eventually(async () => {
    const res = await request(world.app).get('/notifications/failed?limit=200').set(team.ops.auth);
    return res.body.items?.find((i: { notificationId: string }) => i.notificationId === row.id);
  });
  expect(failed).toMatchObject({ channel: `webhook:${webhookId}`, lastError, attempts: 1 });
  return { failed, dealId: deal.id };
}

test('URLs of internal addresses are refused at creation, naming body.url', async () => {
  const team = await createTeam(world, 'ssrf');
  const rebind = `loopback-${world.ns}.example`;
  testDns.set(rebind, ['127.0.0.1']);
  const refused = [
    'http://127.0.0.1:5432/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]:7233/',
    'http://localhost:3000/users',
    'http://10.20.30.40/hook',
    'http://172.16.5.4/hook',
    'http://192.168.1.10/hook',
    'http://100.64.0.1/hook',
    'http://0.0.0.0:3000/',
    'http://224.0.0.1/',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    // odd spellings of 127.0.0.1
    'http://2130706433/',
    'http://0x7f.1/',
    'http://017700000001/',
    'http://[::ffff:127.0.0.1]/',
    // a name that resolves to loopback
    `http://${rebind}:7233/`,
  ];
  for (const url of refused) {
    const res = await postWebhook(team, { url, format: 'slack', userId: team.ar.id });
    expect({ url, status: res.status, type: res.headers['content-type'] }).toEqual({
      url,
      status: 400,
      type: expect.stringContaining('application/problem+json'),
    });
    expect(res.body.errors).toEqual([
      {
        path: 'body.url',
        message: expect.stringMatching(/which webhooks may not reach.*WEBHOOK_ALLOW_HOSTS/),
      },
    ]);
  }
  const list = await request(world.app).get('/webhooks?limit=200').set(team.ops.auth);
  expect(list.body.items.filter((w: { userId: string }) => w.userId === team.ar.id)).toEqual([]);
});

test('the allow-list lets a local receiver through', async () => {
  const team = await createTeam(world, 'allow');
  const hook = await receiver({ allowListed: false });
  const refused = await postWebhook(team, { url: hook.url, format: 'slack', userId: team.ar.id });
  expect(refused.status).toBe(400);
  expect(refused.body.errors[0]).toMatchObject({
    path: 'body.url',
    message: expect.stringContaining('loopback'),
  });

  hook.allow(); // as WEBHOOK_ALLOW_HOSTS=127.0.0.1:<port> would
  const webhook = await arTaskWebhook(team, hook.url);
  await expectSentOnce(team, webhook.id);
  expect(hook.delivered()).toHaveLength(1);
});

test('checked again at delivery: a name that resolved to a public address at creation and to loopback now', async () => {
  const team = await createTeam(world, 'rebind');
  // a receiver listens where the name will point: without the check it would get the POST
  const hook = await receiver();
  const name = `rebind-${world.ns}.example`;
  testDns.set(name, ['93.184.216.34']);
  const webhook = await arTaskWebhook(team, `http://${name}:${hook.port}/hook`);
  testDns.set(name, ['127.0.0.1']);

  await expectFailedAtOnce(team, webhook.id, 'address not allowed');
  expect(hook.requests).toHaveLength(0);
});

test('checked again at delivery: a host taken off the allow-list after creation', async () => {
  const team = await createTeam(world, 'revoked');
  const hook = await receiver();
  const webhook = await arTaskWebhook(team, hook.url);
  hook.disallow();

  const { dealId } = await expectFailedAtOnce(team, webhook.id, 'address not allowed');
  await untilQuiescent(world, [dealId]);
  expect(hook.requests).toHaveLength(0);
});

test('a failed delivery keeps the status and a reason of our own, never the receiver’s body', async () => {
  const team = await createTeam(world, 'nobody');
  const leak = 'SECRET-INTERNAL-DETAIL db=postgres://admin:pw@10.0.0.5/prod';
  const hook = await receiver({ respond: () => ({ status: 400, body: JSON.stringify({ error: leak }) }) });
  const webhook = await arTaskWebhook(team, hook.url);
  const { failed } = await expectFailedAtOnce(team, webhook.id, 'HTTP 400');
  expect(JSON.stringify(failed)).not.toContain('SECRET');
  const stored = await world.sql<{ last_error: string }[]>`
    select last_error from notification_deliveries where channel = ${`webhook:${webhook.id}`}`;
  expect(stored.map((r) => r.last_error)).toEqual(['HTTP 400']);
});

test('an answer that never ends is cut after a few KB and the delivery counts', async () => {
  const team = await createTeam(world, 'stream');
  const hook = await receiver({ respond: () => 'stream' });
  const webhook = await arTaskWebhook(team, hook.url);
  await expectSentOnce(team, webhook.id);
  await eventually(async () => hook.streamsClosed === 1);
});

test('GET /webhooks masks the credentials carried in URLs; the secret is never returned', async () => {
  const team = await createTeam(world, 'mask');
  for (const host of ['qyapi.weixin.qq.com', 'oapi.dingtalk.com', 'open.feishu.cn', 'hooks.slack.com']) {
    testDns.set(host, ['93.184.216.34']);
  }
  const wecomKey = '693a91f6-7f3e-4bc4-97a0-0ec2a1fa5aaa';
  const dingToken = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const feishuToken = '2d4f7c1e-0b8c-4f5b-9e0a-123456789abc';
  const slackSecret = 'abcdefghijklmnopqrstuvwx';
  const signSecret = 'SEC0123456789abcdef-sign-secret';
  const hooks = [
    { url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${wecomKey}`, format: 'wecom' },
    {
      url: `https://oapi.dingtalk.com/robot/send?access_token=${dingToken}`,
      format: 'dingtalk',
      secret: signSecret,
    },
    {
      url: `https://open.feishu.cn/open-apis/bot/v2/hook/${feishuToken}`,
      format: 'feishu',
      secret: signSecret,
    },
    { url: `https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/${slackSecret}`, format: 'slack' },
  ];
  const created = [];
  for (const h of hooks)
    created.push(await addWebhook(team, { ...h, userId: team.ar.id, events: ['escalation'] }));

  const list = await request(world.app).get('/webhooks?limit=200').set(team.ops.auth);
  expect(list.status).toBe(200);
  const mine = list.body.items.filter((w: { userId: string }) => w.userId === team.ar.id);
  expect(mine.map((w: { url: string }) => w.url).sort()).toEqual(
    [
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****5aaa',
      'https://oapi.dingtalk.com/robot/send?access_token=****cdef',
      'https://open.feishu.cn/open-apis/bot/v2/hook/****9abc',
      'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/****uvwx',
    ].sort(),
  );
  const everything = JSON.stringify([list.body, created]);
  for (const secret of [wecomKey, dingToken, feishuToken, slackSecret, signSecret]) {
    expect(everything).not.toContain(secret);
  }
  for (const w of mine) expect(w).not.toHaveProperty('secret');
  expect(mine.filter((w: { hasSecret: boolean }) => w.hasSecret)).toHaveLength(2);
  for (const w of created) {
    expect((await request(world.app).delete(`/webhooks/${w.id}`).set(team.ops.auth)).status).toBe(204);
  }
});

test('text from users cannot mention anyone through the chat formats', async () => {
  const team = await createTeam(world, 'mention');
  const ok = {
    feishu: '{"code":0}',
    wecom: '{"errcode":0}',
    dingtalk: '{"errcode":0}',
    slack: 'ok',
  } as const;
  const got: Record<string, HttpReceiver> = {};
  for (const [format, okBody] of Object.entries(ok)) {
    got[format] = await receiver({ okBody });
    await addWebhook(team, {
      url: got[format].url,
      format,
      teamManagerId: team.manager.id,
      events: ['task'],
    });
  }
  const title = 'Grid <at id=all></at> <@all> <!channel> <!here> @all, see li@example.com';
  await createDeal(world, team, processKey, title);
  // the AR's and the SR's task, one POST each per format
  await eventually(async () => Object.values(got).every((r) => r.delivered().length === 2));

  for (const r of got.feishu.requests) {
    const card = r.json.card;
    for (const s of [card.header.title.content, card.elements[0].content]) expect(s).not.toMatch(/<\s*at\b/i);
    expect(card.header.title.content).toContain('Grid ＜at id=all></at>');
  }
  for (const r of got.wecom.requests) {
    expect(r.json.markdown.content).not.toContain('<@');
    expect(r.json.markdown.content).toContain('＜@all>');
  }
  for (const r of got.dingtalk.requests) {
    for (const s of [r.json.markdown.title, r.json.markdown.text]) {
      expect(s).not.toMatch(/(^|[^A-Za-z0-9._%+-])@/);
      expect(s).toContain('li@example.com');
    }
  }
  for (const r of got.slack.requests) {
    for (const s of [r.json.text, r.json.blocks[0].text.text]) expect(s).not.toMatch(/<[!@]/);
    expect(r.json.blocks[0].text.text).toContain('&lt;!channel&gt;');
  }
});
