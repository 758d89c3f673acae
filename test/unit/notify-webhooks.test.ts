import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildWebhookRequest,
  DeliveryError,
  markdownToSlack,
  type OutgoingNotification,
  parseAllowHosts,
  renderNotification,
  type SendWebhookOptions,
  sendWebhook,
  verifyGenericSignature,
  type WebhookRequest,
  type WebhookTargetPolicy,
} from '../../notifications';

const NOW = new Date('2026-11-26T08:00:00.123Z');
const NOW_SEC = Math.floor(NOW.getTime() / 1000);
const SECRET = 'SECtest-secret-值';
const LINK = 'https://ltc.example.com/deals/D-1001';

function notification(overrides: Partial<OutgoingNotification> = {}): OutgoingNotification {
  const message = renderNotification(
    'task',
    {
      event: 'stage.entered',
      dealId: 'D-1001',
      dealTitle: '华东电网扩容项目',
      accountName: '国网华东分部',
      stage: 'solution',
      stageName: { en: 'Solution review', zh: '方案评审' },
      dueAt: '2026-11-27T14:00:00Z',
      role: 'SR',
    },
    'zh',
    LINK,
  );
  return {
    id: 'n_5f2c9a',
    kind: 'task',
    dealId: 'D-1001',
    stage: 'solution',
    recipients: ['u-li', 'u-wang'],
    at: '2026-11-26T08:00:00.000Z',
    link: LINK,
    message,
    ...overrides,
  };
}

function hmacHex(key: string, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

describe('generic format', () => {
  const n = notification();
  const req = buildWebhookRequest('generic', n, {
    url: 'http://receiver.test/hook',
    secret: SECRET,
    now: NOW,
  });

  test('payload and headers', () => {
    expect(req.url).toBe('http://receiver.test/hook');
    expect(JSON.parse(req.body)).toEqual({
      id: n.id,
      kind: 'task',
      dealId: 'D-1001',
      stage: 'solution',
      recipients: ['u-li', 'u-wang'],
      text: n.message.text,
      at: n.at,
    });
    expect(req.headers['Content-Type']).toBe('application/json');
    expect(req.headers['X-LTC-Timestamp']).toBe(String(NOW_SEC));
    expect(req.headers['X-LTC-Id']).toBe(n.id);
  });

  test('signature is HMAC-SHA256(secret, timestamp + "." + body)', () => {
    const expected = `sha256=${hmacHex(SECRET, `${NOW_SEC}.${req.body}`)}`;
    expect(req.headers['X-LTC-Signature']).toBe(expected);
  });

  test('no secret, no signature header', () => {
    const unsigned = buildWebhookRequest('generic', n, { url: 'http://x/', now: NOW });
    expect(unsigned.headers['X-LTC-Signature']).toBeUndefined();
    expect(unsigned.headers['X-LTC-Timestamp']).toBe(String(NOW_SEC));
  });

  test('verify accepts the genuine request, also as a Buffer and a bit later', () => {
    const ts = req.headers['X-LTC-Timestamp'];
    const sig = req.headers['X-LTC-Signature'];
    expect(verifyGenericSignature(SECRET, ts, sig, req.body, { now: NOW })).toBe(true);
    expect(verifyGenericSignature(SECRET, ts, sig, Buffer.from(req.body), { now: NOW })).toBe(true);
    expect(
      verifyGenericSignature(SECRET, ts, sig, req.body, { now: new Date(NOW.getTime() + 299_000) }),
    ).toBe(true);
  });

  test('verify rejects tampered body, wrong secret, bad headers', () => {
    const ts = req.headers['X-LTC-Timestamp'];
    const sig = req.headers['X-LTC-Signature'];
    const tampered = req.body.replace('u-wang', 'u-evil');
    expect(verifyGenericSignature(SECRET, ts, sig, tampered, { now: NOW })).toBe(false);
    expect(verifyGenericSignature('other', ts, sig, req.body, { now: NOW })).toBe(false);
    expect(verifyGenericSignature(SECRET, undefined, sig, req.body, { now: NOW })).toBe(false);
    expect(verifyGenericSignature(SECRET, ts, undefined, req.body, { now: NOW })).toBe(false);
    expect(verifyGenericSignature(SECRET, ts, 'sha256=abc', req.body, { now: NOW })).toBe(false);
    expect(verifyGenericSignature(SECRET, `${ts}x`, sig, req.body, { now: NOW })).toBe(false);
    // changing the timestamp header breaks the signature
    const ts2 = String(NOW_SEC + 1);
    expect(verifyGenericSignature(SECRET, ts2, sig, req.body, { now: NOW })).toBe(false);
  });

  test('verify rejects stale (replayed) and far-future timestamps', () => {
    const ts = req.headers['X-LTC-Timestamp'];
    const sig = req.headers['X-LTC-Signature'];
    const later = new Date(NOW.getTime() + 301_000);
    expect(verifyGenericSignature(SECRET, ts, sig, req.body, { now: later })).toBe(false);
    expect(verifyGenericSignature(SECRET, ts, sig, req.body, { now: later, toleranceSec: 600 })).toBe(true);
    const earlier = new Date(NOW.getTime() - 301_000);
    expect(verifyGenericSignature(SECRET, ts, sig, req.body, { now: earlier })).toBe(false);
  });
});

describe('wecom format', () => {
  test('markdown message', () => {
    const n = notification();
    const req = buildWebhookRequest('wecom', n, {
      url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc',
      secret: SECRET,
      now: NOW,
    });
    expect(req.url).toBe('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc');
    expect(req.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ msgtype: 'markdown', markdown: { content: n.message.markdown } });
  });

  test('content is kept under 4096 bytes and keeps the link', () => {
    const n = notification();
    const long = {
      ...n,
      message: { ...n.message, markdown: `${'很长的原因'.repeat(600)}\n\n[查看交易](${LINK})` },
    };
    const body = JSON.parse(buildWebhookRequest('wecom', long, { url: 'https://x/', now: NOW }).body);
    const content: string = body.markdown.content;
    expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(4096);
    expect(content.endsWith(`[查看交易](${LINK})`)).toBe(true);
    expect(content).toContain('…');
  });
});

describe('dingtalk format', () => {
  const url = 'https://oapi.dingtalk.com/robot/send?access_token=tok123';

  test('markdown message, unsigned', () => {
    const n = notification();
    const req = buildWebhookRequest('dingtalk', n, { url, now: NOW });
    expect(req.url).toBe(url);
    expect(JSON.parse(req.body)).toEqual({
      msgtype: 'markdown',
      markdown: { title: n.message.title, text: n.message.markdown },
    });
  });

  test('signed: timestamp (ms) and url-encoded base64 sign appended to the query', () => {
    const req = buildWebhookRequest('dingtalk', notification(), { url, secret: SECRET, now: NOW });
    const ts = String(NOW.getTime());
    const expectedSign = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`, 'utf8').digest('base64');
    expect(req.url).toBe(`${url}&timestamp=${ts}&sign=${encodeURIComponent(expectedSign)}`);
    const parsed = new URL(req.url);
    expect(parsed.searchParams.get('access_token')).toBe('tok123');
    expect(parsed.searchParams.get('timestamp')).toBe(ts);
    expect(parsed.searchParams.get('sign')).toBe(expectedSign);
  });
});

describe('feishu format', () => {
  const url = 'https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab';

  test('interactive card with a markdown element, unsigned', () => {
    const n = notification();
    const body = JSON.parse(buildWebhookRequest('feishu', n, { url, now: NOW }).body);
    expect(body.timestamp).toBeUndefined();
    expect(body.sign).toBeUndefined();
    expect(body.msg_type).toBe('interactive');
    expect(body.card.header.title).toEqual({ tag: 'plain_text', content: n.message.title });
    const md = body.card.elements.find((e: { tag: string }) => e.tag === 'markdown');
    expect(md.content).toContain('国网华东分部');
    expect(md.content).toContain(`[查看交易](${LINK})`);
  });

  test('signed: timestamp (s) and base64(HMAC(key = ts + "\\n" + secret, "")) in the body', () => {
    const req = buildWebhookRequest('feishu', notification(), { url, secret: SECRET, now: NOW });
    expect(req.url).toBe(url);
    const body = JSON.parse(req.body);
    expect(body.timestamp).toBe(String(NOW_SEC));
    const expectedSign = createHmac('sha256', `${NOW_SEC}\n${SECRET}`).digest('base64');
    expect(body.sign).toBe(expectedSign);
  });
});

describe('slack format', () => {
  test('text + mrkdwn section with the link converted', () => {
    const n = notification();
    const body = JSON.parse(
      buildWebhookRequest('slack', n, { url: 'https://hooks.slack.com/x', now: NOW }).body,
    );
    expect(body.text).toBe(n.message.title);
    expect(body.blocks).toHaveLength(1);
    expect(body.blocks[0].type).toBe('section');
    expect(body.blocks[0].text.type).toBe('mrkdwn');
    const text: string = body.blocks[0].text.text;
    expect(text).toContain(`<${LINK}|查看交易>`);
    expect(text).not.toContain('](');
    expect(text.startsWith(`*${n.message.title}*`)).toBe(true);
    expect(text).toContain('国网华东分部');
  });

  test('markdownToSlack', () => {
    expect(markdownToSlack('**Hi** see [the deal](https://x.test/a?b=1&c=2) - ok\n- item')).toBe(
      '*Hi* see <https://x.test/a?b=1&amp;c=2|the deal> - ok\n• item',
    );
    expect(markdownToSlack('a < b > c & d [not a link]')).toBe('a &lt; b &gt; c &amp; d [not a link]');
  });
});

// ---------------------------------------------------------------------------------------------
// Real HTTP delivery to a local receiver.

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('sendWebhook against a local http receiver', () => {
  const received: Received[] = [];
  let server: http.Server;
  let base: string;
  let streamsClosed = 0;
  // the receiver is on 127.0.0.1: allow-listed, as WEBHOOK_ALLOW_HOSTS=127.0.0.1 would
  const local: WebhookTargetPolicy = { allowHosts: parseAllowHosts('127.0.0.1') };
  const send = (req: WebhookRequest, opts: SendWebhookOptions = {}) =>
    sendWebhook(req, { policy: local, ...opts });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const path = (req.url ?? '').split('?')[0];
        const json = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
          res.end(JSON.stringify(payload));
        };
        switch (path) {
          case '/ok':
            res.writeHead(204);
            res.end();
            return;
          case '/dingtalk-ok':
            return json(200, { errcode: 0, errmsg: 'ok' });
          case '/feishu-ok':
            return json(200, { code: 0, msg: 'success', data: {} });
          case '/dingtalk-err':
            return json(200, { errcode: 310000, errmsg: 'sign not match' });
          case '/feishu-err':
            return json(200, { code: 19021, msg: 'sign match fail or timestamp is not within one hour' });
          case '/500':
            return json(500, { error: 'boom' });
          case '/400':
            return json(400, { error: 'bad payload' });
          case '/404':
            return json(404, { error: 'no such hook' });
          case '/408':
            return json(408, {});
          case '/429':
            return json(429, { error: 'slow down' }, { 'Retry-After': '7' });
          case '/redirect':
            res.writeHead(302, { Location: '/ok' });
            res.end();
            return;
          case '/slow':
            return; // never answers
          case '/stream-ok':
          case '/stream-500': {
            // answers and never stops writing
            res.writeHead(path === '/stream-ok' ? 200 : 500, { 'Content-Type': 'text/plain' });
            const timer = setInterval(() => res.write(`${'x'.repeat(1023)}\n`), 2);
            res.on('close', () => {
              clearInterval(timer);
              streamsClosed += 1;
            });
            return;
          }
          default:
            return json(404, {});
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function failure(p: Promise<unknown>): Promise<DeliveryError> {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(DeliveryError);
      return err as DeliveryError;
    }
    throw new Error('expected a DeliveryError');
  }

  test('generic: headers and body arrive; the receiver can verify the signature', async () => {
    const n = notification();
    const req = buildWebhookRequest('generic', n, { url: `${base}/ok`, secret: SECRET });
    await send(req);
    const got = received.at(-1)!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/ok');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-ltc-id']).toBe(n.id);
    expect(got.body).toBe(req.body);
    expect(JSON.parse(got.body).text).toBe(n.message.text);
    expect(
      verifyGenericSignature(
        SECRET,
        got.headers['x-ltc-timestamp'],
        got.headers['x-ltc-signature'],
        got.body,
      ),
    ).toBe(true);
    expect(got.headers['x-ltc-signature']).toBe(
      `sha256=${hmacHex(SECRET, `${got.headers['x-ltc-timestamp']}.${got.body}`)}`,
    );
  });

  test('dingtalk: signed query reaches the receiver; errcode 0 is success', async () => {
    const req = buildWebhookRequest('dingtalk', notification(), {
      url: `${base}/dingtalk-ok?access_token=t`,
      secret: SECRET,
    });
    await send(req);
    const got = received.at(-1)!;
    const q = new URL(got.url, base).searchParams;
    const ts = q.get('timestamp')!;
    expect(q.get('access_token')).toBe('t');
    expect(q.get('sign')).toBe(createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64'));
    expect(JSON.parse(got.body).msgtype).toBe('markdown');
  });

  test('feishu: code 0 is success', async () => {
    await send(buildWebhookRequest('feishu', notification(), { url: `${base}/feishu-ok`, secret: SECRET }));
    expect(JSON.parse(received.at(-1)!.body).msg_type).toBe('interactive');
  });

  test('200 with {"errcode":310000} is a retryable failure', async () => {
    const err = await failure(
      send(buildWebhookRequest('dingtalk', notification(), { url: `${base}/dingtalk-err?access_token=t` })),
    );
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(200);
    expect(err.code).toBe(310000);
    // our own short reason: the receiver's errmsg is not kept
    expect(err.message).toBe('platform error 310000');
    // the access token is not leaked into the message
    expect(err.message).not.toContain('access_token=t');
  });

  test('200 with Feishu {"code":19021} is a failure', async () => {
    const err = await failure(
      send(buildWebhookRequest('feishu', notification(), { url: `${base}/feishu-err` })),
    );
    expect(err.retryable).toBe(true);
    expect(err.code).toBe(19021);
  });

  test('500 is retryable', async () => {
    const err = await failure(send(buildWebhookRequest('slack', notification(), { url: `${base}/500` })));
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(500);
    // the receiver's body ({"error":"boom"}) is not kept
    expect(err.message).toBe('HTTP 500');
  });

  test('400 and 404 are not retryable', async () => {
    const e400 = await failure(send(buildWebhookRequest('generic', notification(), { url: `${base}/400` })));
    expect(e400.retryable).toBe(false);
    expect(e400.status).toBe(400);
    expect(e400.message).toBe('HTTP 400');
    const e404 = await failure(send(buildWebhookRequest('wecom', notification(), { url: `${base}/404` })));
    expect(e404.retryable).toBe(false);
  });

  test('408 and 429 are retryable; Retry-After is reported', async () => {
    const e408 = await failure(send(buildWebhookRequest('generic', notification(), { url: `${base}/408` })));
    expect(e408.retryable).toBe(true);
    const e429 = await failure(send(buildWebhookRequest('generic', notification(), { url: `${base}/429` })));
    expect(e429.retryable).toBe(true);
    expect(e429.status).toBe(429);
    expect(e429.retryAfterMs).toBe(7000);
  });

  test('redirects are not followed (a redirected POST would become a GET)', async () => {
    const before = received.length;
    const err = await failure(
      send(buildWebhookRequest('generic', notification(), { url: `${base}/redirect` })),
    );
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(302);
    expect(received.length).toBe(before + 1);
  });

  test('timeout is retryable', async () => {
    const err = await failure(
      send(buildWebhookRequest('generic', notification(), { url: `${base}/slow` }), {
        timeoutMs: 200,
      }),
    );
    expect(err.retryable).toBe(true);
    expect(err.status).toBeUndefined();
  });

  test('an invalid URL is not retryable', async () => {
    const err = await failure(send({ url: 'not a url', headers: {}, body: '{}' }));
    expect(err.retryable).toBe(false);
    const ftp = await failure(send({ url: 'ftp://127.0.0.1/x', headers: {}, body: '{}' }));
    expect(ftp.retryable).toBe(false);
  });

  test('receiver down is retryable', async () => {
    const down = http.createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const err = await failure(
      send(buildWebhookRequest('generic', notification(), { url: `http://127.0.0.1:${port}/hook` })),
    );
    expect(err.retryable).toBe(true);
    expect(err.status).toBeUndefined();
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toBe('connection refused');
  });

  test('an answer that never ends is read up to a few KB, then the connection is closed', async () => {
    const closed = streamsClosed;
    const started = Date.now();
    await send(buildWebhookRequest('generic', notification(), { url: `${base}/stream-ok` }), {
      timeoutMs: 5_000,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const err = await failure(
      send(buildWebhookRequest('generic', notification(), { url: `${base}/stream-500` }), {
        timeoutMs: 5_000,
      }),
    );
    expect(err.message).toBe('HTTP 500');
    expect(err.retryable).toBe(true);
    // both streams were cut by us
    const deadline = Date.now() + 2_000;
    while (streamsClosed < closed + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(streamsClosed).toBe(closed + 2);
  });

  test('timeout reason', async () => {
    const err = await failure(
      send(buildWebhookRequest('generic', notification(), { url: `${base}/slow` }), { timeoutMs: 100 }),
    );
    expect(err.message).toBe('timeout');
  });

  describe('without an allow-list only public addresses are reached', () => {
    const port = () => new URL(base).port;

    test('loopback in any spelling is refused before anything is sent', async () => {
      for (const host of [
        '127.0.0.1',
        '2130706433',
        '0x7f.1',
        '127.1',
        '[::ffff:127.0.0.1]',
        '[::1]',
        'localhost',
      ]) {
        const before = received.length;
        const err = await failure(
          sendWebhook(buildWebhookRequest('generic', notification(), { url: `http://${host}:${port()}/ok` })),
        );
        expect({ host, message: err.message, retryable: err.retryable }).toEqual({
          host,
          message: 'address not allowed',
          retryable: false,
        });
        expect(received.length).toBe(before);
      }
    });

    test('a host name is judged by the address it resolves to when connecting', async () => {
      // a DNS that answers loopback for this name (as a rebinding attacker's DNS would)
      const lookup: WebhookTargetPolicy['lookup'] = (_host, options, cb) =>
        options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
      const url = `http://hooks.rebind.test:${port()}/ok`;
      const before = received.length;
      const err = await failure(
        sendWebhook(buildWebhookRequest('generic', notification(), { url }), {
          policy: { allowHosts: new Set(), lookup },
        }),
      );
      expect(err.message).toBe('address not allowed');
      expect(err.retryable).toBe(false);
      expect(received.length).toBe(before);
      // the same name on the allow-list (with its port) goes through
      await sendWebhook(buildWebhookRequest('generic', notification(), { url }), {
        policy: { allowHosts: parseAllowHosts(`hooks.rebind.test:${port()}`), lookup },
      });
      expect(received.length).toBe(before + 1);
      // on another port it is not allowed
      const other = await failure(
        sendWebhook(buildWebhookRequest('generic', notification(), { url }), {
          policy: { allowHosts: parseAllowHosts('hooks.rebind.test:1'), lookup },
        }),
      );
      expect(other.message).toBe('address not allowed');
    });
  });
});
