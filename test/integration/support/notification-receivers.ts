/**
 * Real local receivers for notification tests: an HTTP webhook receiver (node:http) and an SMTP
 * server (smtp-server), both on 127.0.0.1 with an OS-assigned port, plus a tiny MIME reader.
 *
 * A webhook receiver puts its `127.0.0.1:<port>` on the test world's allow-list while it listens
 * (as WEBHOOK_ALLOW_HOSTS would), so deliveries to it pass the real address check.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import type { ProcessDefinition } from '../../../domain/process/types';
import { createUser, type TestUser, type World, webhookAllowHosts } from './world';

// --- HTTP ------------------------------------------------------------------------------------

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact bytes received, as UTF-8. */
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON of any receiver format
  json: any;
  /** What the receiver answered. */
  status: number | 'hang' | 'stream';
  /** When the request arrived (ms since the epoch), for the order and spacing of retries. */
  at: number;
}

/**
 * Answer for a request: an HTTP status, `{status, body}`, `hang` (never answer) or `stream` (answer
 * 200 and write forever). `n` counts requests from 1.
 */
export type Responder = (
  req: Omit<ReceivedRequest, 'status' | 'at'>,
  n: number,
) => number | 'hang' | 'stream' | { status: number; body: string };

export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Requests answered with 2xx. */
  delivered(): ReceivedRequest[];
  respond: Responder;
  /** Body answered with a 2xx (chat platforms want `{"errcode":0}` / `{"code":0}`). */
  okBody: string;
  /** `127.0.0.1:<port>`, on the world's allow-list unless `disallow()`ed. */
  hostPort: string;
  allow(): void;
  disallow(): void;
  /** Streams (`stream` answers) that were closed by the sender. */
  streamsClosed: number;
  close(): Promise<void>;
}

export async function startHttpReceiver(
  opts: { respond?: Responder; port?: number; okBody?: string; allowListed?: boolean } = {},
): Promise<HttpReceiver> {
  const sockets = new Set<net.Socket>();
  const receiver: HttpReceiver = {
    url: '',
    port: 0,
    requests: [],
    delivered: () => receiver.requests.filter((r) => typeof r.status === 'number' && r.status < 300),
    respond: opts.respond ?? (() => 200),
    okBody: opts.okBody ?? '{"ok":true}',
    hostPort: '',
    allow: () => webhookAllowHosts.add(receiver.hostPort),
    disallow: () => webhookAllowHosts.delete(receiver.hostPort),
    streamsClosed: 0,
    close: async () => {
      receiver.disallow();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const base = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, json };
      const answer = receiver.respond(base, receiver.requests.length + 1);
      const status = typeof answer === 'object' ? answer.status : answer;
      receiver.requests.push({ ...base, status, at: Date.now() });
      if (status === 'hang') return;
      if (status === 'stream') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        const timer = setInterval(() => res.write(`${'x'.repeat(1023)}\n`), 2);
        res.on('close', () => {
          clearInterval(timer);
          receiver.streamsClosed += 1;
        });
        return;
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      const body = typeof answer === 'object' ? answer.body : undefined;
      res.end(body ?? (status < 300 ? receiver.okBody : '{"error":"down"}'));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  receiver.hostPort = `127.0.0.1:${receiver.port}`;
  if (opts.allowListed !== false) receiver.allow();
  return receiver;
}

/** A port nothing listens on (for now): connections are refused. On the world's allow-list, like a receiver. */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  webhookAllowHosts.add(`127.0.0.1:${port}`);
  return port;
}

// --- SMTP ------------------------------------------------------------------------------------

export interface ReceivedMail {
  raw: string;
  rcptTo: string[];
  headers: Map<string, string>;
  subject: string;
  text: string;
}

export interface SmtpReceiver {
  url: string;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

function splitMessage(raw: string): { headers: Map<string, string>; body: string } {
  const idx = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, idx).replace(/\r\n[ \t]+/g, ' ');
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

export function decodeEncodedWords(value: string): string {
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

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const { headers, body } = splitMessage(raw);
        mails.push({
          raw,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          headers,
          subject: decodeEncodedWords(headers.get('subject') ?? ''),
          text: decodeBody(headers, body),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// --- a team and a small process --------------------------------------------------------------

/** Two quick stages: `qualify` signed by AR and SR (tasks for both at once), `close` by FR. */
export const notifyProcess: ProcessDefinition = {
  key: 'notify',
  name: { en: 'Notify', zh: '通知' },
  stages: [
    {
      key: 'qualify',
      name: { en: 'Qualify', zh: '资格审查' },
      approvers: ['AR', 'SR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 0.5, SR: 0.5 },
      onReject: 'lost',
    },
    {
      key: 'close',
      name: { en: 'Close', zh: '关闭' },
      approvers: ['FR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { FR: 1 },
    },
  ],
};

export interface Team {
  manager: TestUser;
  ar: TestUser;
  /** Reads Chinese. */
  sr: TestUser;
  fr: TestUser;
  ops: TestUser;
  email(u: TestUser): string;
}

/** A fresh team per test (ids prefixed), so webhooks and inboxes of tests never mix. */
export async function createTeam(world: World, prefix: string): Promise<Team> {
  const manager = await createUser(world, {
    id: `${prefix}-mgr`,
    roles: ['manager'],
    name: `${prefix} Manager`,
  });
  const ar = await createUser(world, { id: `${prefix}-ar`, managerId: manager.id, name: `${prefix} Alice` });
  const sr = await createUser(world, {
    id: `${prefix}-sr`,
    managerId: manager.id,
    locale: 'zh',
    name: `${prefix} 李四`,
  });
  const fr = await createUser(world, { id: `${prefix}-fr`, managerId: manager.id, name: `${prefix} Frank` });
  const ops = await createUser(world, { id: `${prefix}-ops`, roles: ['ops'] });
  return { manager, ar, sr, fr, ops, email: (u) => `${u.id}@example.test` };
}

export async function createDeal(
  world: World,
  team: Team,
  processKey: string,
  title = 'Metro rail signalling',
): Promise<{ id: string }> {
  const res = await request(world.app)
    .post('/deals')
    .set(team.manager.auth)
    .send({
      title,
      account: { name: 'Shenzhen Metro' },
      value: { amount: 1000, currency: 'CNY' },
      triangle: { AR: team.ar.id, SR: team.sr.id, FR: team.fr.id },
      process: { key: processKey },
    });
  if (res.status !== 201) throw new Error(`create deal: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function signoff(world: World, user: TestUser, dealId: string, stage: string) {
  const res = await request(world.app)
    .post(`/deals/${dealId}/signoffs`)
    .set(user.auth)
    .send({ stage, decision: 'approve' });
  if (res.status !== 200) throw new Error(`signoff: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Outbox rows of a deal (optionally one kind / one user). */
export async function outbox(
  world: World,
  dealId: string,
  filter: { kind?: string; userId?: string } = {},
): Promise<{ id: string; kind: string; user_id: string; text: string }[]> {
  const rows = await world.sql<{ id: string; kind: string; user_id: string; text: string }[]>`
    select id, kind, user_id, text from notifications
    where deal_id = ${dealId}
      and (${filter.kind ?? null}::text is null or kind = ${filter.kind ?? null})
      and (${filter.userId ?? null}::text is null or user_id = ${filter.userId ?? null})
    order by created_at, id`;
  return [...rows];
}

export async function deliveries(
  world: World,
  notificationId: string,
): Promise<{ channel: string; status: string; attempts: number; last_error: string | null }[]> {
  const rows = await world.sql<
    { channel: string; status: string; attempts: number; last_error: string | null }[]
  >`
    select channel, status, attempts, last_error from notification_deliveries
    where notification_id = ${notificationId} order by channel`;
  return [...rows];
}

/**
 * The local receivers and the webhooks a test file makes. At the end the webhooks are removed (so no
 * other file's deals are delivered to them) before the world stops, and the receivers closed after.
 */
export function webhookFixtures(world: () => World) {
  const receivers: HttpReceiver[] = [];
  const added: { id: string; team: Team }[] = [];
  async function postWebhook(team: Team, body: Record<string, unknown>) {
    const res = await request(world().app).post('/webhooks').set(team.ops.auth).send(body);
    if (res.status === 201) added.push({ id: res.body.id, team });
    return res;
  }
  return {
    async receiver(opts: Parameters<typeof startHttpReceiver>[0] = {}): Promise<HttpReceiver> {
      const r = await startHttpReceiver(opts);
      receivers.push(r);
      return r;
    },
    postWebhook,
    async addWebhook(team: Team, body: Record<string, unknown>): Promise<{ id: string; url: string }> {
      const res = await postWebhook(team, body);
      expect(res.status).toBe(201);
      return res.body;
    },
    async removeWebhooks(): Promise<void> {
      for (const w of added) await request(world().app).delete(`/webhooks/${w.id}`).set(w.team.ops.auth);
    },
    async closeReceivers(): Promise<void> {
      await Promise.all(receivers.map((r) => r.close()));
    },
  };
}
