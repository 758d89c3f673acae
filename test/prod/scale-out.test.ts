/**
 * Scale-out proofs on the production-shaped topology (`npm run test:prod` starts it and sets
 * LTC_PROD_STATE; skipped otherwise): two workers, two APIs behind one port, a Temporal server
 * on Postgres. A killed member stays down for a minute here (test:prod's restart delay).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applyProcessDefinition } from '../../api/process-definitions/repo';
import { createDb, type DbHandle } from '../../db/client';
import { validateProcessDefinition } from '../../definitions/validate';
import type { ProcessDefinition } from '../../domain/process/types';
import { insertTeam, insertUser, type SimTeam } from '../../scripts/stack/prod-users';

interface State {
  url: string;
  members: { role: 'worker' | 'api'; index: number; pid?: number; port?: number }[];
}

const stateFile = process.env.LTC_PROD_STATE;
const d = stateFile ? describe : describe.skip;
const readState = (): State => JSON.parse(fs.readFileSync(stateFile as string, 'utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ns = randomUUID().slice(0, 6);

/** The default LTC with 3-second SLAs: reminders and escalations fire while sign-offs stream in. */
function quickLtc(key: string): ProcessDefinition {
  const text = fs.readFileSync(path.join(__dirname, '../../processes/ltc-standard.yaml'), 'utf8');
  const parsed = validateProcessDefinition(parseYaml(text));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return {
    ...parsed.definition,
    key,
    stages: parsed.definition.stages.map((s) => ({
      ...s,
      sla: {
        within: '3s',
        remind: ['2s'],
        escalate: (s.sla.escalate ?? []).map((level, i) => ({ ...level, after: `${i * 2}s` })),
      },
    })),
  };
}

async function http(
  base: string,
  token: string,
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(base + p, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any, headers: res.headers };
}

d('scale-out on the production topology', () => {
  let handle: DbHandle;
  let team: SimTeam;
  let tokens: Map<string, string>;
  const processKey = `ltc-scale-${ns}`;

  beforeAll(async () => {
    handle = createDb(process.env.DATABASE_URL as string, { max: 2 });
    await applyProcessDefinition(handle.db, quickLtc(processKey), 'test');
    team = await insertTeam(handle.db, `so-${ns}`);
    tokens = new Map(Object.values(team).map((u) => [u.id, u.token]));
  });
  afterAll(async () => {
    await handle.close();
  });

  async function createDeal(base: string, i: number): Promise<string> {
    const r = await http(base, team.manager.token, 'POST', '/deals', {
      title: `Scale-out ${ns} ${i}`,
      account: { name: `Account ${i}` },
      value: { amount: 1_000_000, currency: 'CNY' },
      triangle: { AR: team.AR.id, SR: team.SR.id, FR: team.FR.id },
      process: { key: processKey },
    });
    expect(r.status).toBe(201);
    return r.body.id;
  }

  /** Sign everything the deal waits on (retrying refusals); returns the stage it was at. */
  async function signStage(base: string, id: string): Promise<string | null> {
    for (;;) {
      const deal = (await http(base, team.manager.token, 'GET', `/deals/${id}`)).body;
      if (deal.status !== 'active') return null;
      if (!deal.stage || deal.stage.waitingOn.length === 0) {
        await sleep(200);
        continue;
      }
      const key = deal.stage.key;
      await Promise.all(
        deal.stage.waitingOn.map(async (w: { role: string; userId: string }) => {
          for (;;) {
            const r = await http(
              base,
              tokens.get(w.userId) as string,
              'POST',
              `/deals/${id}/signoffs`,
              { stage: key, role: w.role, decision: 'approve' },
              { 'Idempotency-Key': `${id}-${key}-${w.role}-${deal.stage.visit}` },
            );
            if (r.status === 200 || r.status === 409) return;
            if (r.status !== 503) throw new Error(`sign-off ${r.status} ${JSON.stringify(r.body)}`);
            await sleep(500);
          }
        }),
      );
      return key;
    }
  }

  test('a worker killed with kill -9 during a stream of sign-offs and escalations: every deal carries on, on the other worker', async () => {
    const { url, members } = readState();
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => createDeal(url, i)));
    // Stream: each deal signs a stage, then waits 4 s (past its 3-second SLA: reminder, escalation).
    let killedPid: number | undefined;
    const victim = members.find((m) => m.role === 'worker' && m.index === 0);
    const streams = ids.map(async (id, i) => {
      const reached: string[] = [];
      for (let step = 0; step < 4; step++) {
        const key = await signStage(url, id);
        if (key) reached.push(key);
        if (step === 1 && i === 0 && victim?.pid) {
          killedPid = victim.pid;
          process.kill(victim.pid, 'SIGKILL');
        }
        await sleep(4000);
      }
      return reached;
    });
    const reached = await Promise.all(streams);
    expect(killedPid).toBeDefined();
    // The victim is still down (restart delay 60 s): the other worker did the work.
    expect(() => process.kill(killedPid as number, 0)).toThrow();
    const rows = await handle.sql<
      { deal_id: string; escalated: number; stages: number; max: number; n: number }[]
    >`
      select deal_id,
        count(*) filter (where type = 'stage.escalated')::int as escalated,
        count(*) filter (where type = 'stage.completed')::int as stages,
        max(seq)::int as max, count(*)::int as n
      from deal_events where deal_id = any(${ids}) group by deal_id`;
    for (const row of rows) {
      expect(row.stages).toBeGreaterThanOrEqual(4);
      expect(row.escalated).toBeGreaterThanOrEqual(1);
      expect(row.n).toBe(row.max); // no gaps
    }
    expect(rows).toHaveLength(ids.length);
    console.log(
      `scale-out: worker pid ${killedPid} killed; ${ids.length} deals carried on: stages passed per deal ${reached.map((r) => r.length).join(',')}, escalations ${rows.map((r) => r.escalated).join(',')}`,
    );
  }, 180_000);

  test('a sign-off acknowledged by one API is read back at once from the other', async () => {
    const apis = readState().members.filter((m) => m.role === 'api');
    expect(apis).toHaveLength(2);
    const [a, b] = apis.map((m) => `http://127.0.0.1:${m.port}`);
    const id = await createDeal(a, 100);
    let stage = (await http(b, team.manager.token, 'GET', `/deals/${id}`)).body.stage;
    while (stage.waitingOn.length === 0) {
      await sleep(100);
      stage = (await http(b, team.manager.token, 'GET', `/deals/${id}`)).body.stage;
    }
    const signed = await http(a, team.AR.token, 'POST', `/deals/${id}/signoffs`, {
      stage: 'lead',
      decision: 'approve',
      comment: `read-back ${ns}`,
    });
    expect(signed.status).toBe(200);
    // No wait: the other process answers from the same projection.
    const timeline = await http(b, team.AR.token, 'GET', `/deals/${id}/timeline?limit=200`);
    expect(timeline.status).toBe(200);
    const ev = timeline.body.items.find(
      (e: { type: string; data: { comment?: string } }) =>
        e.type === 'signoff.approved' && e.data.comment === `read-back ${ns}`,
    );
    expect(ev).toBeDefined();
    const deal = await http(b, team.AR.token, 'GET', `/deals/${id}`);
    expect(deal.body.stage?.key).not.toBe('lead');
  });

  test('rate limits hold across both APIs (shared buckets in Postgres)', async () => {
    const apis = readState().members.filter((m) => m.role === 'api');
    const [a, b] = apis.map((m) => `http://127.0.0.1:${m.port}`);
    // Bad tokens draw on the client address's bucket: 30 per minute (test:prod sets it) over
    // both processes together, not 30 each.
    const statuses: { api: string; status: number }[] = [];
    for (let i = 0; i < 50; i++) {
      const api = i % 2 === 0 ? a : b;
      const r = await http(api, `ltc_bogus${ns}${i}`, 'GET', '/users/me');
      statuses.push({ api, status: r.status });
    }
    const allowed = statuses.filter((s) => s.status === 401).length;
    const limited = statuses.filter((s) => s.status === 429);
    expect(allowed).toBeLessThanOrEqual(31); // the bucket refills ~1 per 2 s while we send
    expect(allowed).toBeGreaterThanOrEqual(25);
    expect(new Set(limited.map((s) => s.api)).size).toBe(2);
    console.log(
      `rate limit across 2 APIs: 50 bad-token requests, ${allowed} answered 401, ${limited.length} answered 429 (limit 30/min)`,
    );
    // A user's write bucket is shared the same way (same table), see test/integration/rate-limit.
    const ops = await insertUser(handle.db, { id: `so-ops-${ns}`, roles: ['ops'] });
    expect((await http(a, ops.token, 'GET', '/users/me')).status).toBe(200);
  });
});
