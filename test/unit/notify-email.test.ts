import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import {
  createMailer,
  DeliveryError,
  type Mailer,
  type OutgoingNotification,
  renderNotification,
} from '../../notifications';

const LINK = 'https://ltc.example.com/deals/D-1001';

interface ReceivedMail {
  raw: string;
  mailFrom: string | false;
  rcptTo: string[];
}

function notification(id: string, locale: 'zh' | 'en'): OutgoingNotification {
  return {
    id,
    kind: 'decision',
    dealId: 'D-1001',
    stage: 'solution',
    recipients: ['u-li'],
    at: '2026-11-26T08:00:00.000Z',
    link: LINK,
    message: renderNotification(
      'decision',
      {
        event: 'signoff.rejected',
        dealId: 'D-1001',
        dealTitle: '华东电网扩容项目',
        accountName: '国网华东分部',
        stage: 'solution',
        stageName: { en: 'Solution review', zh: '方案评审' },
        dueAt: '2026-11-27T14:00:00Z',
        decision: 'reject',
        reason: '报价低于成本线',
        targetStage: 'proposal',
        targetStageName: { en: 'Proposal', zh: '报价' },
        actorName: '张三',
      },
      locale,
      LINK,
    ),
  };
}

// --- minimal MIME reading, enough for a single-part text message ---------------------------

function splitMessage(raw: string): { headers: Map<string, string>; body: string } {
  const idx = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, idx).replace(/\r\n[ \t]+/g, ' '); // unfold
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(idx + 4) };
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const soft = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (B and Q); whitespace between adjacent encoded words is dropped. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

// ---------------------------------------------------------------------------------------------

describe('createMailer against a local smtp-server', () => {
  const inbox: ReceivedMail[] = [];
  let server: SMTPServer;
  let port: number;
  let mailer: Mailer;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      disableReverseLookup: true,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('gone@')) {
          const err = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
          return callback(err);
        }
        if (address.address.startsWith('busy@')) {
          const err = Object.assign(new Error('Try again later'), { responseCode: 451 });
          return callback(err);
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          inbox.push({
            raw: Buffer.concat(chunks).toString('utf8'),
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
    mailer = createMailer(`smtp://127.0.0.1:${port}`, {
      from: 'LTC 通知 <ltc@notify.test>',
      transport: { ignoreTLS: true, secure: false },
    });
  });

  afterAll(async () => {
    mailer.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('zh notification: subject, recipient, dedupe headers and body arrive', async () => {
    const n = notification('n_7a1b2c', 'zh');
    await mailer.send(n, { email: 'li.si@customer.test', name: '李四' });

    const mail = inbox.at(-1)!;
    expect(mail.rcptTo).toEqual(['li.si@customer.test']);
    expect(mail.mailFrom).toBe('ltc@notify.test');

    const { headers, body } = splitMessage(mail.raw);
    // Chinese subject is MIME encoded in the raw message ...
    expect(headers.get('subject')).toMatch(/=\?UTF-8\?[BQ]\?/i);
    // ... and decodes to the rendered title
    expect(decodeEncodedWords(headers.get('subject')!)).toBe(n.message.title);
    expect(n.message.title).toBe('【已驳回】华东电网扩容项目 · 方案评审');

    expect(headers.get('message-id')).toBe('<n_7a1b2c@ltc.local>');
    expect(headers.get('x-ltc-id')).toBe('n_7a1b2c');
    expect(headers.get('auto-submitted')).toBe('auto-generated');
    expect(headers.get('to')).toContain('<li.si@customer.test>');
    expect(decodeEncodedWords(headers.get('to')!)).toContain('李四');
    expect(decodeEncodedWords(headers.get('from')!)).toBe('LTC 通知 <ltc@notify.test>');

    const text = decodeBody(headers, body);
    expect(text).toContain('华东电网扩容项目');
    expect(text).toContain('国网华东分部');
    expect(text).toContain('原因：报价低于成本线');
    expect(text).toContain('2026-11-27 14:00 UTC');
    expect(text).toContain(LINK);
  });

  test('en notification with the default sender', async () => {
    const plain = createMailer(`smtp://127.0.0.1:${port}`, { transport: { ignoreTLS: true } });
    try {
      const n = notification('n_en_1', 'en');
      await plain.send(n, { email: 'alice@customer.test', name: 'Alice' });
      const mail = inbox.at(-1)!;
      expect(mail.mailFrom).toBe('ltc@localhost');
      const { headers, body } = splitMessage(mail.raw);
      expect(decodeEncodedWords(headers.get('subject')!)).toBe(n.message.title);
      expect(headers.get('message-id')).toBe('<n_en_1@ltc.local>');
      expect(headers.get('to')).toBe('Alice <alice@customer.test>');
      const text = decodeBody(headers, body);
      expect(text).toContain('Reason: 报价低于成本线');
      expect(text).toContain(LINK);
    } finally {
      plain.close();
    }
  });

  test('the link is appended when the text does not carry it', async () => {
    const n = notification('n_nolink', 'en');
    const bare = { ...n, message: { ...n.message, text: 'Short text only' } };
    await mailer.send(bare, { email: 'bob@customer.test', name: 'Bob' });
    const { headers, body } = splitMessage(inbox.at(-1)!.raw);
    const text = decodeBody(headers, body);
    expect(text).toContain('Short text only');
    expect(text).toContain(LINK);
  });

  test('permanent rejection (550) is not retryable', async () => {
    const err = await mailer
      .send(notification('n_gone', 'en'), { email: 'gone@customer.test', name: 'Gone' })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).retryable).toBe(false);
    expect((err as DeliveryError).status).toBe(550);
  });

  test('transient rejection (451) is retryable', async () => {
    const err = await mailer
      .send(notification('n_busy', 'en'), { email: 'busy@customer.test', name: 'Busy' })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).retryable).toBe(true);
    expect((err as DeliveryError).status).toBe(451);
  });

  test('server down is retryable', async () => {
    const down = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const downPort = (down.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const m = createMailer(`smtp://127.0.0.1:${downPort}`, { transport: { ignoreTLS: true } });
    try {
      const err = await m.send(notification('n_down', 'en'), { email: 'x@customer.test', name: 'X' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).retryable).toBe(true);
    } finally {
      m.close();
    }
  });
});
