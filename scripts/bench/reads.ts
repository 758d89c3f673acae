/**
 * Section 4 of `npm run bench`: reads at scale. DEALS deals are inserted in bulk into the projection
 * (one INSERT … SELECT per table), with a realistic mix: 60 % active over the twelve stages of the
 * default process (a fifth of them overdue), 5 % on hold, 20 % completed, 10 % lost, 5 % cancelled,
 * four stage visits per deal at most, the current stage's first sign-off, escalations on 5 %.
 * 1 % of the deals belong to team 4 only, so its director sees that many.
 *
 * Every endpoint is called N times over HTTP as ops and as that director (`/me/tasks` as members).
 * The slowest are called once more with their SQL captured, and each of those statements is run
 * under EXPLAIN ANALYZE: the plan of the slowest statement and the indexes it used are reported.
 */
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { drizzle } from 'drizzle-orm/postgres-js';
import pino from 'pino';
import postgres from 'postgres';
import { createApp } from '../../api/app';
import type { Db } from '../../db/client';
import { backfillDealCredits } from '../../db/deal-credits';
import * as schema from '../../db/schema';
import { call, type Stats, stats, timed } from './common';
import type { Org } from './org';

export interface ReadFigures {
  deals: number;
  stageVisits: number;
  insertSeconds: number;
  managerVisible: number;
  calls: number;
  endpoints: { name: string; as: string; stats: Stats; target: number }[];
  plans: {
    endpoint: string;
    as: string;
    /** SQL statements the request ran, and their summed execution time under EXPLAIN ANALYZE. */
    statements: number;
    totalMs: number;
    executionMs: number;
    query: string;
    plan: string;
    indexes: string[];
  }[];
  indexes: { name: string; definition: string }[];
}

export const LTC_STAGES = [
  'lead',
  'ati',
  'solution',
  'atb',
  'bid',
  'negotiation',
  'atc',
  'handover',
  'delivery',
  'acceptance',
  'collection',
  'close',
];

export async function bulkInsert(
  sql: postgres.Sql,
  n: number,
  org: Org,
  processVersion: number,
): Promise<void> {
  const members = org.members;
  const small = org.smallTeam;
  await sql`
    INSERT INTO deals (id, workflow_id, title, account_name, account_tier, value_amount, currency, status,
      process_key, process_version, ar_id, sr_id, fr_id, stage_key, stage_index, stage_visit,
      stage_entered_at, due_at, escalation_level, required, waiting_on, pending_user_ids, projection_seq,
      created_by, created_at, updated_at, closed_at)
    SELECT id, 'deal-' || id, title, account, CASE WHEN g % 4 = 0 THEN 'A' ELSE NULL END,
      10000 + (g * 7919) % 10000000, CASE WHEN g % 10 < 7 THEN 'CNY' ELSE 'USD' END, status,
      'ltc-standard', ${processVersion}, ar, sr, fr,
      CASE WHEN open THEN (${LTC_STAGES}::text[])[stage + 1] END, CASE WHEN open THEN stage END,
      CASE WHEN open THEN 1 END, CASE WHEN open THEN now() - interval '2 days' END,
      CASE WHEN open THEN now() + ((g * 13) % 25 - 5) * interval '1 day' + (g % 1440) * interval '1 minute' END,
      CASE WHEN open AND g % 20 = 0 THEN 1 ELSE 0 END,
      CASE WHEN open THEN jsonb_build_array(jsonb_build_object('approver', 'AR', 'userIds', jsonb_build_array(ar)),
        jsonb_build_object('approver', 'SR', 'userIds', jsonb_build_array(sr)),
        jsonb_build_object('approver', 'FR', 'userIds', jsonb_build_array(fr))) ELSE '[]'::jsonb END,
      CASE WHEN open THEN jsonb_build_array(jsonb_build_object('role', 'AR', 'userId', ar),
        jsonb_build_object('role', 'FR', 'userId', fr)) ELSE '[]'::jsonb END,
      CASE WHEN open THEN ARRAY[ar, fr] ELSE '{}'::text[] END,
      10, ${org.ops}, created, created, CASE WHEN NOT open THEN LEAST(now(), created + interval '60 days') END
    FROM (
      SELECT g, md5('bench-deal-' || g)::uuid::text AS id,
        'Deal ' || g || ' ' || (ARRAY['grid','metro','port','mine','plant','campus','rail','hospital'])[g % 8 + 1] AS title,
        'Account ' || (g % 2000) AS account,
        CASE WHEN g % 20 < 12 THEN 'active' WHEN g % 20 = 12 THEN 'on_hold' WHEN g % 20 < 17 THEN 'completed'
             WHEN g % 20 < 19 THEN 'lost' ELSE 'cancelled' END AS status,
        g % 20 <= 12 AS open,
        (g * 31) % 12 AS stage,
        now() - ((g * 7919) % 365) * interval '1 day' - (g % 86400) * interval '1 second' AS created,
        CASE WHEN g % 100 = 0 THEN (${small}::text[])[(g / 100) % 5 + 1] ELSE (${members}::text[])[(g * 7) % 39 + 1] END AS ar,
        CASE WHEN g % 100 = 0 THEN (${small}::text[])[(g / 100 + 1) % 5 + 1] ELSE (${members}::text[])[(g * 7 + 13) % 39 + 1] END AS sr,
        CASE WHEN g % 100 = 0 THEN (${small}::text[])[(g / 100 + 2) % 5 + 1] ELSE (${members}::text[])[(g * 7 + 26) % 39 + 1] END AS fr
      FROM generate_series(1, ${n}) g
    ) s`;
  await sql`
    INSERT INTO stage_visits (deal_id, stage_key, visit, stage_index, entered_at, exited_at, due_at, outcome,
      breached, escalations, holders, weights)
    SELECT d.id, (${LTC_STAGES}::text[])[k + 1], 1, k, entered, exited, entered + interval '3 days',
      CASE WHEN d.status = 'lost' AND k = visits - 1 THEN 'rejected'
           WHEN d.status = 'cancelled' AND k = visits - 1 THEN 'cancelled' ELSE 'approved' END,
      exited > entered + interval '3 days', CASE WHEN exited > entered + interval '3 days' THEN 1 ELSE 0 END,
      jsonb_build_object('AR', d.ar_id, 'SR', d.sr_id, 'FR', d.fr_id),
      '{"AR": 0.4, "SR": 0.3, "FR": 0.3}'::jsonb
    FROM (SELECT *, CASE WHEN stage_index IS NULL THEN 4 ELSE LEAST(stage_index, 4) END AS visits FROM deals
          WHERE process_key = 'ltc-standard') d,
      generate_series(0, 3) k,
      LATERAL (SELECT LEAST(now() - interval '1 minute', d.created_at + k * interval '2 days') AS entered) e,
      LATERAL (SELECT LEAST(now(), e.entered + (1 + (hashtext(d.id) & 7) % 5) * interval '1 day' / 1.3) AS exited) x
    WHERE k < d.visits`;
  await sql`
    INSERT INTO signoffs (deal_id, stage_key, visit, role, user_id, actor_id, decision, at)
    SELECT id, stage_key, 1, 'SR', sr_id, sr_id, 'approve', stage_entered_at + interval '1 hour'
    FROM deals WHERE process_key = 'ltc-standard' AND stage_key IS NOT NULL`;
  await sql`
    INSERT INTO deal_events (deal_id, seq, event_key, type, at, stage, actor_id, data)
    SELECT id, 1, 'bench:escalated', 'stage.escalated', LEAST(now(), due_at), stage_key, 'system', '{}'::jsonb
    FROM deals WHERE process_key = 'ltc-standard' AND escalation_level = 1`;
  // The credit summary of the deals inserted completed, as the backfill after the migrations writes it
  // (stage visit and escalation summaries were written by their triggers with the rows).
  await backfillDealCredits(drizzle(sql));
  // Vacuumed as autovacuum keeps a table in steady state (visibility map set: index-only scans).
  for (const table of [
    'deals',
    'stage_visits',
    'signoffs',
    'deal_events',
    'stage_visit_summaries',
    'stage_escalations',
    'deal_credits',
  ])
    await sql.unsafe(`VACUUM (ANALYZE) ${table}`);
}

export async function runReads(ctx: {
  databaseUrl: string;
  sql: postgres.Sql;
  client: Client;
  taskQueue: string;
  org: Org;
  processVersion: number;
  deals: number;
  calls: number;
  log: (m: string) => void;
}): Promise<ReadFigures> {
  const { org, log, sql } = ctx;
  log(`reads: inserting ${ctx.deals} deals in bulk`);
  const insertSeconds = (await timed(() => bulkInsert(sql, ctx.deals, org, ctx.processVersion))) / 1000;
  const [{ visits }] = await sql<{ visits: number }[]>`SELECT count(*)::int AS visits FROM stage_visits`;
  log(`reads: inserted in ${insertSeconds.toFixed(1)} s (${visits} stage visits)`);

  // An API in this process on a pool whose statements can be captured for EXPLAIN.
  let captured: { query: string; params: unknown[] }[] | null = null;
  // Few connections: calls are serial, and the machine's Postgres is shared (max_connections).
  const client = postgres(ctx.databaseUrl, {
    max: 4,
    onnotice: () => {},
    prepare: true,
    debug: (_conn, query, params) => {
      captured?.push({ query, params: params as unknown[] });
    },
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  const { app } = createApp({
    db,
    temporal: ctx.client,
    logger: pino({ level: 'silent' }),
    taskQueue: ctx.taskQueue,
    namespace: 'default',
    publicUrl: 'http://localhost',
    rateLimitPerMinute: 10_000_000,
    rateLimitReadsPerMinute: 10_000_000,
  });
  const server = app.listen(0);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const manager = org.directors[3];
    const [{ visible }] = await sql<{ visible: number }[]>`
      SELECT count(*)::int AS visible FROM deals
      WHERE ar_id = ANY(${org.smallTeam}) OR sr_id = ANY(${org.smallTeam}) OR fr_id = ANY(${org.smallTeam})`;
    const page2 = async (user: string) => {
      const r = await call(base, org.tokens[user], 'GET', '/deals?limit=50');
      if (r.status !== 200) throw new Error(`GET /deals?limit=50: ${r.status} ${r.text.slice(0, 300)}`);
      return `/deals?limit=50&cursor=${encodeURIComponent((r.json as { nextCursor: string }).nextCursor)}`;
    };
    const asOps = org.ops;
    const cases: { name: string; as: string; url: string; target: number }[] = [];
    for (const [as, user, someone] of [
      ['ops', asOps, org.members[5]],
      [`manager (${visible.toLocaleString('en')} visible)`, manager, org.smallTeam[1]],
    ] as const) {
      const list = (name: string, q: string) =>
        cases.push({ name: `GET /deals${name}`, as, url: `/deals?limit=50${q}`, target: 20 });
      list('', '');
      list('?stage=', '&stage=solution');
      list('?status=', '&status=active');
      list('?userId=', `&userId=${someone}`);
      list('?overdue=true', '&overdue=true');
      list('?overdue=false', '&overdue=false');
      list('?q=', `&q=${encodeURIComponent('Account 7')}`);
      cases.push({ name: 'GET /deals (page 2)', as, url: await page2(user), target: 20 });
      for (const r of ['pipeline', 'sla', 'credit'])
        cases.push({ name: `GET /reports/${r}`, as, url: `/reports/${r}`, target: 50 });
    }
    // The floor on this machine right now: an HTTP round trip that does nothing, and one that only
    // authenticates (ops have no sign-off tasks).
    cases.push({ name: 'GET /healthz (floor: no auth, no SQL)', as: 'anyone', url: '/healthz', target: 20 });
    cases.push({
      name: 'GET /me/tasks (floor: auth + one empty query)',
      as: 'ops',
      url: '/me/tasks',
      target: 20,
    });
    cases.push({ name: 'GET /me/tasks', as: `member (${org.members[0]})`, url: '/me/tasks', target: 20 });
    cases.push({ name: 'GET /me/tasks', as: `member (${org.smallTeam[0]})`, url: '/me/tasks', target: 20 });
    const userOf = (as: string) =>
      as === 'ops' || as === 'anyone'
        ? asOps
        : as.startsWith('manager')
          ? manager
          : (/\((.*)\)/.exec(as)?.[1] as string);

    log(`reads: ${cases.length} endpoint cases × ${ctx.calls} calls`);
    const endpoints: ReadFigures['endpoints'] = [];
    for (const c of cases) {
      const token = org.tokens[userOf(c.as)];
      for (let i = 0; i < 3; i++) await call(base, token, 'GET', c.url); // warm
      const xs: number[] = [];
      for (let i = 0; i < ctx.calls; i++) {
        let status = 0;
        xs.push(
          await timed(async () => {
            status = (await call(base, token, 'GET', c.url)).status;
          }),
        );
        if (status !== 200) throw new Error(`${c.url} as ${c.as}: ${status}`);
      }
      endpoints.push({ name: c.name, as: c.as, stats: stats(xs), target: c.target });
    }

    // Plans of the three slowest (by p99).
    const slowest = [...endpoints].sort((a, b) => b.stats.p99 - a.stats.p99).slice(0, 3);
    const plans: ReadFigures['plans'] = [];
    const used = new Set<string>();
    for (const e of slowest) {
      const c = cases.find((x) => x.name === e.name && x.as === e.as)!;
      captured = [];
      await call(base, org.tokens[userOf(c.as)], 'GET', c.url);
      const queries = captured as { query: string; params: unknown[] }[];
      captured = null;
      let worst: ReadFigures['plans'][number] | undefined;
      let totalMs = 0;
      for (const q of queries) {
        if (!/^\s*(select|with)\b/i.test(q.query) || /\b(insert|update|delete)\b/i.test(q.query)) continue;
        const rows = await client.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${q.query}`, q.params as never[]);
        const plan = rows.map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
        const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
        totalMs += ms;
        if (!worst || ms > worst.executionMs) {
          const indexes = [
            ...plan.matchAll(
              /(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:Backward )?(?:using|on) (\w+)/g,
            ),
          ].map((m) => m[1]);
          worst = {
            endpoint: e.name,
            as: e.as,
            statements: queries.length,
            totalMs: 0,
            executionMs: ms,
            query: q.query.replace(/\s+/g, ' ').trim(),
            plan,
            indexes: [...new Set(indexes)],
          };
        }
      }
      if (worst) {
        worst.totalMs = Math.round(totalMs * 100) / 100;
        plans.push(worst);
        for (const i of worst.indexes) used.add(i);
      }
    }
    const indexRows = used.size
      ? await sql<{ indexname: string; indexdef: string }[]>`
          SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(${[...used]})`
      : [];
    return {
      deals: ctx.deals,
      stageVisits: visits,
      insertSeconds: Math.round(insertSeconds * 10) / 10,
      managerVisible: visible,
      calls: ctx.calls,
      endpoints,
      plans,
      indexes: indexRows.map((r) => ({ name: r.indexname, definition: r.indexdef })),
    };
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await client.end({ timeout: 5 });
  }
}
