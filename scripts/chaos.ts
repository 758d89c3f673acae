/**
 * `npm run chaos`: crashes and outages under load, on the production-shaped topology
 * (scripts/stack/prod.ts: a Postgres-backed Temporal server, two workers, two APIs behind one port,
 * Postgres behind a TCP proxy).
 *
 * The load: DEALS (default 200) deals through the default LTC process (a copy with short SLAs, so
 * reminders and escalations fire), driven over HTTP by simulated triangle members: approvals,
 * concurrent sign-offs at the gates, rejections (a lost lead; a rework from the bid gate), holds
 * and resumes, reassignments, and deals left waiting past their SLA.
 *
 * The faults, while it runs: a worker killed with SIGKILL every 20 s (the supervisor restarts it),
 * one API killed (down 15 s), the Temporal server stopped and started again, and Postgres cut off
 * for 30 s (the TCP proxy in front of it; the machine's Postgres is not touched).
 *
 * The checks: every acknowledged (2xx) sign-off is in the timeline exactly once; no duplicate
 * timeline events, no gaps in seq; every projection equals its workflow's Query; every deal that
 * should finish did; every notification is in the outbox once, has its email delivery, and that
 * reached the receiver at least once with its stable id (after the load, the check waits while the
 * deliveries still progress: see SETTLE_*). Refusals must be 503 problem+json with Retry-After.
 * Exits 1 on any loss or duplicate (or a deal that did not finish, or an unclean refusal).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SMTPServer } from 'smtp-server';
import { parse as parseYaml } from 'yaml';
import { applyProcessDefinition } from '../api/process-definitions/repo';
import { createDb } from '../db/client';
import { validateProcessDefinition } from '../definitions/validate';
import type { ProcessDefinition } from '../domain/process/types';
import { dealQuery } from '../workflows/messages';
import { startProdStack } from './stack/prod';
import { insertTeam, insertUser, type SimTeam } from './stack/prod-users';

const root = path.resolve(__dirname, '..');
const DEALS = Number(process.env.DEALS ?? 200);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 30);
/** Start no new deal after this many minutes of load (the deals under way finish and are checked). */
const LOAD_MINUTES = Number(process.env.CHAOS_LOAD_MINUTES ?? 0);
const TEAMS = 20;
/** After the load: wait this long at most for the backlog and the deliveries to land... */
const SETTLE_MAX_MS = Number(process.env.CHAOS_SETTLE_MAX_MS ?? 20 * 60_000);
/** ...and give up sooner once nothing has moved for this long. */
const SETTLE_STALL_MS = Number(process.env.CHAOS_SETTLE_STALL_MS ?? 3 * 60_000);
const t0 = Date.now();
const log = (msg: string) =>
  console.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stats = {
  requests: 0,
  acknowledged: 0,
  refused: 0,
  /** Refusals that were not 503 problem+json with Retry-After (429 counts as clean). */
  unclean: 0,
  serverErrors: 0,
  conflicts: 0,
  killsSkipped: 0,
  faults: [] as string[],
};

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers
  body: any;
}

let baseUrl = '';

/** One logical request: refusals (503/429, connection errors) are retried, same Idempotency-Key. */
async function call(token: string, method: string, p: string, body?: unknown, idem?: string): Promise<Reply> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    stats.requests++;
    let res: Response;
    try {
      res = await fetch(baseUrl + p, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(idem ? { 'Idempotency-Key': idem } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch {
      // The balancer itself always answers; a cut here is a timeout.
      stats.refused++;
      if (Date.now() > deadline) throw new Error(`${method} ${p}: no answer for 10 minutes`);
      await sleep(1000);
      continue;
    }
    const text = await res.text();
    if (res.status === 503 || res.status === 429) {
      stats.refused++;
      const retryAfter = Number(res.headers.get('retry-after'));
      const clean =
        res.status === 429 ||
        ((res.headers.get('content-type') ?? '').startsWith('application/problem+json') && retryAfter > 0);
      if (!clean) stats.unclean++;
      if (Date.now() > deadline) throw new Error(`${method} ${p}: refused for 10 minutes`);
      await sleep(Math.min(Math.max(retryAfter || 1, 1), 3) * 1000);
      continue;
    }
    if (res.status >= 500) {
      stats.serverErrors++;
      log(`${method} ${p} → ${res.status} ${text.slice(0, 300)}`);
      if (Date.now() > deadline) throw new Error(`${method} ${p}: ${res.status}`);
      await sleep(1000);
      continue;
    }
    if (method !== 'GET' && res.status < 300) stats.acknowledged++;
    if (res.status === 409) stats.conflicts++;
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

/** The default LTC with short SLAs: reminders and escalations within seconds. */
function shortSlaLtc(key: string): ProcessDefinition {
  const text = fs.readFileSync(path.join(root, 'processes', 'ltc-standard.yaml'), 'utf8');
  const parsed = validateProcessDefinition(parseYaml(text));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const def = parsed.definition;
  return {
    ...def,
    key,
    stages: def.stages.map((s) => ({
      ...s,
      sla: {
        within: '20s',
        remind: ['10s'],
        escalate: (s.sla.escalate ?? []).map((level, i) => ({ ...level, after: `${i * 10}s` })),
      },
    })),
  };
}

interface Ack {
  dealId: string;
  comment: string;
  stage: string;
  role: string;
}

interface DealView {
  status: string;
  stage: null | {
    key: string;
    visit: number;
    waitingOn: { role: string; userId: string }[];
    required: { role: string; userIds: string[] }[];
  };
}

type Scenario = 'lost' | 'rework' | 'hold' | 'reassign' | 'overdue' | 'large' | 'plain';
const SCENARIOS: Scenario[] = [
  'lost',
  'rework',
  'hold',
  'reassign',
  'overdue',
  'large',
  'plain',
  'plain',
  'plain',
  'plain',
];

async function driveDeal(
  i: number,
  team: SimTeam,
  tokens: Map<string, string>,
  processKey: string,
  acks: Ack[],
  created: Map<string, Scenario>,
): Promise<void> {
  const scenario = SCENARIOS[i % SCENARIOS.length];
  const mgr = team.manager.token;
  const amount = scenario === 'large' ? 8_000_000 : 1_000_000 + i * 1000;
  const r = await call(
    mgr,
    'POST',
    '/deals',
    {
      title: `Chaos deal ${i}`,
      account: { name: `Account ${i}` },
      value: { amount, currency: 'CNY' },
      triangle: { AR: team.AR.id, SR: team.SR.id, FR: team.FR.id },
      process: { key: processKey },
    },
    `chaos-deal-${i}`,
  );
  if (r.status !== 201 && r.status !== 200)
    throw new Error(`create deal ${i}: ${r.status} ${JSON.stringify(r.body)}`);
  const id: string = r.body.id;
  created.set(id, scenario);
  const done = new Set<string>();
  const deadline = Date.now() + 20 * 60_000;
  // The deal as the last answer showed it (a sign-off answers with the deal after it), else read.
  let known: DealView | undefined;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`deal ${i} (${scenario}) did not finish`);
    const d: DealView = known ?? (await call(mgr, 'GET', `/deals/${id}`)).body;
    known = undefined;
    if (d.status !== 'active' && d.status !== 'on_hold') return;
    if (d.status === 'on_hold') {
      await sleep(1500);
      await call(mgr, 'POST', `/deals/${id}/resume`, {}, `chaos-resume-${id}`);
      continue;
    }
    const stage = d.stage;
    if (!stage || stage.waitingOn.length === 0) {
      await sleep(300);
      continue;
    }
    if (scenario === 'lost' && stage.key === 'lead' && !done.has('reject')) {
      done.add('reject');
      await signoff(id, stage.key, 'AR', team.AR.token, 'reject', acks);
      continue;
    }
    if (scenario === 'rework' && stage.key === 'atb' && stage.visit === 1 && !done.has('reject')) {
      done.add('reject');
      await signoff(
        id,
        stage.key,
        'SR',
        tokens.get(stage.required.find((x) => x.role === 'SR')?.userIds[0] ?? team.SR.id) ?? team.SR.token,
        'reject',
        acks,
      );
      continue;
    }
    if (scenario === 'hold' && stage.key === 'solution' && !done.has('hold')) {
      done.add('hold');
      await call(
        mgr,
        'POST',
        `/deals/${id}/hold`,
        { reason: 'Customer asked for a pause' },
        `chaos-hold-${id}`,
      );
      continue;
    }
    if (scenario === 'reassign' && stage.key === 'bid' && !done.has('reassign')) {
      done.add('reassign');
      await call(
        mgr,
        'POST',
        `/deals/${id}/reassign`,
        { role: 'SR', userId: team.SR2.id, reason: 'SR moves to another account' },
        `chaos-reassign-${id}`,
      );
      continue;
    }
    if (scenario === 'overdue' && stage.key === 'ati' && !done.has('wait')) {
      done.add('wait');
      await sleep(32_000); // past the 20 s SLA: a reminder, then escalations
      continue;
    }
    // Everyone the stage waits on signs at once (concurrent sign-offs at the gates).
    const answers = await Promise.all(
      stage.waitingOn.map((w: { role: string; userId: string }) => {
        const token = tokens.get(w.userId);
        if (!token) throw new Error(`no token for ${w.userId}`);
        return signoff(id, stage.key, w.role, token, 'approve', acks);
      }),
    );
    // An answer that already shows the next stage waiting saves a read.
    known = answers.find((a) => a?.stage && a.stage.key !== stage.key && a.stage.waitingOn.length > 0);
  }
}

async function signoff(
  dealId: string,
  stage: string,
  role: string,
  token: string,
  decision: 'approve' | 'reject',
  acks: Ack[],
): Promise<DealView | undefined> {
  const comment = `chaos ${randomUUID()}`;
  const r = await call(
    token,
    'POST',
    `/deals/${dealId}/signoffs`,
    { stage, role, decision, comment },
    randomUUID(),
  );
  if (r.status === 200) {
    acks.push({ dealId, comment, stage, role });
    return r.body as DealView;
  }
  if (r.status !== 409)
    throw new Error(`sign-off ${dealId} ${stage} ${role}: ${r.status} ${JSON.stringify(r.body)}`);
  return undefined;
}

async function faultSchedule(
  stack: Awaited<ReturnType<typeof startProdStack>>,
  loadDone: () => boolean,
): Promise<void> {
  const started = Date.now();
  const at = (s: number) => sleep(Math.max(0, started + s * 1000 - Date.now()));
  let killer: NodeJS.Timeout | undefined;
  let k = 0;
  const logDir = stack.stateFile.replace(/-state\.json$/, '-logs');
  /** Whether the worker's current process has said it is ready (polling). */
  const isReady = (index: number) => {
    const pid = stack.members.find((m) => m.role === 'worker' && m.index === index)?.child?.pid;
    if (!pid) return false;
    const text = fs.readFileSync(path.join(logDir, `worker-${index}.log`), 'utf8');
    return new RegExp(`"pid":${pid},[^\n]*"worker ready"`).test(text);
  };
  killer = setInterval(() => {
    // Kill only a worker that is up again: on a loaded machine a restart can take longer than the
    // 40 s between two kills of the same worker, and killing it while it starts proves nothing.
    if (!isReady(k % 2)) {
      stats.killsSkipped++;
      log(`worker ${k % 2} not ready since its restart: not killed this time`);
      k++;
      return;
    }
    const pid = stack.kill('worker', k % 2);
    stats.faults.push(`worker ${k % 2} kill -9 (pid ${pid})`);
    log(`fault: worker ${k % 2} killed with SIGKILL (pid ${pid}); the supervisor restarts it`);
    k++;
  }, 20_000);
  try {
    await at(30);
    stack.hold('api', 1);
    stats.faults.push('api 1 kill -9, down 15 s');
    log('fault: API 1 killed with SIGKILL, down for 15 s');
    await at(45);
    stack.revive('api', 1);
    log('API 1 restarted');
    await at(55);
    stats.faults.push('Temporal server stopped 10 s');
    log('fault: Temporal server stopped');
    await stack.temporal.stop();
    await sleep(10_000);
    await stack.temporal.start();
    log('Temporal server started again');
    await at(95);
    stats.faults.push('Postgres cut 30 s');
    log('fault: Postgres cut off (TCP proxy) for 30 s');
    await stack.pgProxy.cut();
    await sleep(30_000);
    await stack.pgProxy.restore();
    log('Postgres reachable again');
    while (!loadDone()) await sleep(1000);
  } finally {
    clearInterval(killer);
    killer = undefined;
  }
}

async function main(): Promise<number> {
  const dataDir = path.resolve(root, process.env.DATA_DIR ?? '.data');
  fs.mkdirSync(dataDir, { recursive: true });
  const mails = new Map<string, number>();
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const id = /^X-LTC-Id:\s*(\S+)/im.exec(raw)?.[1];
        if (id) mails.set(id, (mails.get(id) ?? 0) + 1);
        callback();
      });
    },
  });
  // A worker killed mid-send resets its SMTP connection: not the receiver's failure.
  smtp.on('error', () => {});
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const name = `ltc_chaos_${process.pid}`;
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const stack = await startProdStack({
    name,
    dataDir,
    databaseUrl: adminUrl,
    throwaway: !process.env.KEEP_CHAOS,
    freshDatabase: true,
    env: {
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: '5',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_READS_PER_MINUTE: '10000000',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}?ignoreTLS=true`,
      NOTIFY_RETRY_INITIAL_MS: '500',
      NOTIFY_RETRY_MAX_INTERVAL_MS: '5000',
    },
    log,
  });
  baseUrl = stack.url;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stack.stop().finally(() => process.exit(130));
    });
  }

  const direct = new URL(adminUrl);
  direct.pathname = `/${name}`;
  const handle = createDb(direct.toString(), { max: 4 });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  try {
    const processKey = 'ltc-chaos';
    await applyProcessDefinition(handle.db, shortSlaLtc(processKey), 'chaos');
    const teams: SimTeam[] = [];
    const tokens = new Map<string, string>();
    for (let t = 0; t < TEAMS; t++) {
      const team = await insertTeam(handle.db, `c${t}`);
      teams.push(team);
      for (const u of Object.values(team)) tokens.set(u.id, u.token);
    }
    const ops = await insertUser(handle.db, { id: 'chaos-ops', roles: ['ops'] });
    tokens.set(ops.id, ops.token);
    log(`${TEAMS} teams, ${DEALS} deals, ${CONCURRENCY} at a time; faults start now`);

    const acks: Ack[] = [];
    const created = new Map<string, Scenario>();
    const failures: string[] = [];
    let nextDeal = 0;
    let finished = 0;
    const loadUntil = LOAD_MINUTES > 0 ? Date.now() + LOAD_MINUTES * 60_000 : Number.POSITIVE_INFINITY;
    const runner = async () => {
      while (nextDeal < DEALS) {
        if (Date.now() > loadUntil) {
          if (nextDeal < DEALS) log(`CHAOS_LOAD_MINUTES reached: no new deals after ${nextDeal}`);
          nextDeal = DEALS;
          break;
        }
        const i = nextDeal++;
        try {
          await driveDeal(i, teams[i % TEAMS], tokens, processKey, acks, created);
        } catch (err) {
          failures.push(String(err));
          log(`deal ${i}: ${err}`);
        }
        finished++;
        if (finished % 20 === 0)
          log(`${finished}/${DEALS} deals driven to the end (${stats.requests} requests)`);
      }
    };
    let loadFinished = false;
    const faults = faultSchedule(stack, () => loadFinished);
    await Promise.all(Array.from({ length: CONCURRENCY }, runner));
    loadFinished = true;
    await faults;
    log('load finished; waiting for the backlog to land');

    // --- checks --------------------------------------------------------------------------------
    const sql = handle.sql;
    const ids = [...created.keys()];
    // A finished deal's workflow stays open until its backlog has landed: wait for every one to
    // close and every notification's email to be sent. Deliveries queue behind the load on their own
    // task queue, so the wait goes on while they still progress: it gives up only once nothing has
    // changed for SETTLE_STALL_MS, or after SETTLE_MAX_MS in all.
    const settleStart = Date.now();
    const settleDeadline = settleStart + SETTLE_MAX_MS;
    let lastProgress = Date.now();
    let lastSeen = '';
    const workflowIds = (
      await sql<{ workflow_id: string }[]>`
      select workflow_id from deals where id = any(${ids})`
    ).map((r) => r.workflow_id);
    let running = workflowIds.length;
    for (;;) {
      running = 0;
      for (const wid of workflowIds) {
        const desc = await client.workflow
          .getHandle(wid)
          .describe()
          .catch(() => undefined);
        if (!desc || desc.status.name === 'RUNNING') running++;
      }
      const [{ open, faulted, pending }] = await sql<{ open: number; faulted: number; pending: number }[]>`
        select
          (select count(*)::int from deals where id = any(${ids}) and status in ('active','on_hold')) as open,
          (select count(*)::int from deal_faults where deal_id = any(${ids})) as faulted,
          (select count(*)::int from notifications n where n.deal_id = any(${ids}) and not exists (
             select 1 from notification_deliveries d
             where d.notification_id = n.id and d.channel = 'email' and d.status <> 'pending')) as pending`;
      if (running === 0 && open === 0 && faulted === 0 && pending === 0) break;
      const seenNow = `${running}|${open}|${faulted}|${pending}`;
      if (seenNow !== lastSeen) {
        lastSeen = seenNow;
        lastProgress = Date.now();
        log(
          `settling: ${running} workflows open, ${open} deals open, ${faulted} faulted, ${pending} emails to send`,
        );
      }
      if (Date.now() > settleDeadline || Date.now() - lastProgress > SETTLE_STALL_MS) break;
      await sleep(3000);
    }
    const settledMs = Date.now() - settleStart;

    let lost = 0;
    let duplicated = 0;
    const problems: string[] = [...failures];
    // Every acknowledged sign-off exactly once in the timeline.
    const comments = await sql<{ comment: string; n: number }[]>`
      select data->>'comment' as comment, count(*)::int as n from deal_events
      where deal_id = any(${ids}) and type in ('signoff.approved','signoff.rejected') group by 1`;
    const seen = new Map(comments.map((c) => [c.comment, c.n]));
    for (const a of acks) {
      const n = seen.get(a.comment) ?? 0;
      if (n === 0) {
        lost++;
        problems.push(`acknowledged sign-off missing: ${a.dealId} ${a.stage} ${a.role}`);
      } else if (n > 1) {
        duplicated++;
        problems.push(`sign-off ${n} times: ${a.dealId} ${a.stage} ${a.role}`);
      }
    }
    // Deals acknowledged at creation exist.
    const [{ rows }] = await sql<
      { rows: number }[]
    >`select count(*)::int as rows from deals where id = any(${ids})`;
    if (rows !== ids.length) {
      lost += ids.length - rows;
      problems.push(`${ids.length - rows} created deals missing`);
    }
    // No duplicate events (same sign-off of a visit twice), no seq gaps.
    const dupEvents = await sql<{ deal_id: string; n: number }[]>`
      select deal_id, count(*)::int as n from deal_events
      where deal_id = any(${ids}) and type in ('signoff.approved','signoff.rejected')
      group by deal_id, stage, data->>'visit', data->>'role' having count(*) > 1`;
    duplicated += dupEvents.length;
    for (const d of dupEvents) problems.push(`duplicate sign-off event on ${d.deal_id}`);
    const gaps = await sql<{ deal_id: string; n: number; max: number }[]>`
      select deal_id, count(*)::int as n, max(seq)::int as max from deal_events
      where deal_id = any(${ids}) group by deal_id having count(*) <> max(seq) or min(seq) <> 1`;
    for (const g of gaps) problems.push(`seq gap on ${g.deal_id}: ${g.n} events, max seq ${g.max}`);
    lost += gaps.length;
    // Projection = Query; deals that should finish did.
    const dealRows = await sql<
      { id: string; workflow_id: string; status: string; projection_seq: number; stage_key: string | null }[]
    >`
      select id, workflow_id, status, projection_seq, stage_key from deals where id = any(${ids})`;
    let mismatched = 0;
    let unfinished = 0;
    for (const row of dealRows) {
      const expected = created.get(row.id) === 'lost' ? 'lost' : 'completed';
      if (row.status !== expected) {
        unfinished++;
        problems.push(`deal ${row.id} is ${row.status}, expected ${expected}`);
      }
      try {
        const view = await client.workflow.getHandle(row.workflow_id).query(dealQuery);
        if (view.fault)
          problems.push(`deal ${row.id}: the workflow reports a write fault ${JSON.stringify(view.fault)}`);
        if (
          view.status !== row.status ||
          view.seq !== row.projection_seq ||
          (view.stage?.key ?? null) !== row.stage_key
        ) {
          mismatched++;
          problems.push(
            `projection ≠ query on ${row.id}: ${row.status}/${row.projection_seq}/${row.stage_key} vs ${view.status}/${view.seq}/${view.stage?.key ?? null}`,
          );
        }
      } catch (err) {
        mismatched++;
        problems.push(`query ${row.id}: ${err}`);
      }
    }
    // Notifications: once in the outbox; each email delivery sent, received at least once by id.
    const outbox = await sql<{ id: string; kind: string; channel: string | null; status: string | null }[]>`
      select n.id, n.kind, d.channel, d.status from notifications n
      left join notification_deliveries d on d.notification_id = n.id where n.deal_id = any(${ids})`;
    const kinds = new Map<string, number>();
    const notificationIds = new Set<string>();
    let deliveries = 0;
    let undelivered = 0;
    let redelivered = 0;
    // Every recipient gets every kind by email here (SMTP on, no preferences stored): a notification
    // without an email delivery never had its delivery started.
    const withEmail = new Set(outbox.filter((o) => o.channel === 'email').map((o) => o.id));
    for (const o of outbox) {
      if (!notificationIds.has(o.id)) {
        kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
        if (!withEmail.has(o.id)) {
          deliveries++;
          undelivered++;
          problems.push(`notification ${o.id} (${o.kind}): no delivery started`);
        }
      }
      notificationIds.add(o.id);
      if (o.channel === 'email') {
        deliveries++;
        const got = mails.get(o.id) ?? 0;
        if (o.status !== 'sent' || got === 0) {
          undelivered++;
          problems.push(`notification ${o.id} (${o.kind}): delivery ${o.status}, received ${got}`);
        }
        if (got > 1) redelivered++;
      }
    }
    const [{ dupOutbox }] = await sql<{ dupOutbox: number }[]>`
      select count(*)::int as "dupOutbox" from (select dedupe_key from notifications where deal_id = any(${ids})
      group by dedupe_key having count(*) > 1) x`;
    duplicated += dupOutbox;
    lost += undelivered;

    if (running > 0)
      problems.push(`${running} deal workflows still open after the settle wait (backlog not landed?)`);
    const table: [string, string | number][] = [
      ['faults injected', stats.faults.length],
      ['  worker kill -9', stats.faults.filter((f) => f.startsWith('worker')).length],
      ['  (kills skipped: worker not ready yet)', stats.killsSkipped],
      ['  API killed', stats.faults.filter((f) => f.startsWith('api')).length],
      ['  Temporal stopped', stats.faults.filter((f) => f.startsWith('Temporal')).length],
      ['  Postgres cut 30 s', stats.faults.filter((f) => f.startsWith('Postgres')).length],
      [
        'deals',
        `${ids.length}${ids.length < DEALS ? ` of ${DEALS} planned (CHAOS_LOAD_MINUTES)` : ''} (${dealRows.filter((d) => d.status === 'completed').length} completed, ${dealRows.filter((d) => d.status === 'lost').length} lost as planned)`,
      ],
      ['requests made', stats.requests],
      ['acknowledged (2xx writes)', stats.acknowledged],
      ['  sign-offs acknowledged', acks.length],
      ['refused (503/429, retried)', stats.refused],
      ['  refusals not 503 problem+json + Retry-After', stats.unclean],
      ['  5xx other than 503', stats.serverErrors],
      ['409 conflicts (stage moved on)', stats.conflicts],
      ['lost', lost],
      ['duplicated', duplicated],
      ['deals not finished as expected', unfinished],
      ['projection ≠ Query', mismatched],
      ['deal workflows still open at the end', running],
      [
        'notifications (outbox)',
        `${notificationIds.size} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`,
      ],
      [
        'email deliveries received',
        `${deliveries - undelivered}/${deliveries} (${redelivered} more than once, same id)`,
      ],
      ['settle wait after the load', `${Math.round(settledMs / 1000)} s`],
      ['duration', `${Math.round((Date.now() - t0) / 1000)} s`],
    ];
    const width = Math.max(...table.map(([k]) => k.length));
    console.log(`\n${'-'.repeat(width + 30)}`);
    for (const [k, v] of table) console.log(`${k.padEnd(width)}  ${v}`);
    console.log(`${'-'.repeat(width + 30)}`);
    for (const p of problems.slice(0, 30)) console.log(`  ! ${p}`);
    const bad = lost + duplicated + unfinished + mismatched + stats.unclean + failures.length;
    console.log(bad === 0 ? 'chaos: nothing lost, nothing duplicated' : 'chaos: FAILED');
    return bad === 0 ? 0 : 1;
  } finally {
    await connection.close().catch(() => {});
    await handle.close();
    await stack.stop();
    smtp.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
