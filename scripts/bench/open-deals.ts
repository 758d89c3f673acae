/**
 * Section 3 of `npm run bench`: many open deals waiting on sign-offs, their deadlines spread out.
 * Deals are created over HTTP (8 clients) on K process versions whose first stage is due after
 * `firstDueS` + k·`spreadS`/(K-1) seconds and escalates to the signers' managers at the due time.
 * Measured: the time to create them, the worker's peak RSS (sampled each second, and the kernel's
 * high-water mark), and per deal the lag from its due time to `stage.escalated`, both as the
 * workflow recorded it (`at`) and as a reader first saw the row in Postgres.
 *
 * The reader polls every 250 ms from the first deal on, while deals are still being created (many
 * come due then), and asks for the escalation of each deal by its id once the deal's due time (from
 * its 201 answer) has come. It does not page through `deal_events` by id: ids come from a sequence
 * when a row is inserted, not when it commits, so concurrent writes commit out of id order and a
 * cursor `id > last seen` skips a row that commits after a higher id was read.
 */
import type postgres from 'postgres';
import { call, pool, rssOf, type Stats, sleep, stats, timed } from './common';
import type { Org } from './org';

export interface OpenDealFigures {
  deals: number;
  maxCachedWorkflows: number;
  deadlineSpreadS: number;
  create: { seconds: number; perSecond: number; latency: Stats; failed: number };
  workerRss: { peakSampledMb: number; highWaterMb: number; atStartMb: number };
  escalated: number;
  /** Due time to the `stage.escalated` event's own time (the timer firing, as the workflow saw it). */
  lagRecorded: Stats;
  /** Due time to the row being readable in Postgres (includes up to 250 ms of polling). */
  lagReadable: Stats;
  /** The same, of the deals that came due while deals were still being created. */
  lagReadableDuringCreation?: Stats;
  /** Escalations that came due while deals were still being created. */
  dueDuringCreation: number;
  /** Deals whose escalation was not seen in time: a few of them, and what Postgres holds of them at the end. */
  unseen?: { dealId: string; dueAt: string | null; escalatedAt: string | null }[];
}

export const SLA_PROCESSES = 10;

export function slaProcess(k: number, withinS: number) {
  return {
    key: `bench-sla-${k}`,
    name: { en: `Bench SLA ${k}`, zh: `基准时限${k}` },
    stages: [0, 1].map((i) => ({
      key: `s${i}`,
      name: { en: `Stage ${i}`, zh: `阶段${i}` },
      approvers: ['AR', 'SR', 'FR'] as ('AR' | 'SR' | 'FR')[],
      rule: 'all' as const,
      sla: { within: `${withinS}s`, escalate: [{ after: '0s', notify: ['manager' as const] }] },
      weights: { AR: 0.4, SR: 0.3, FR: 0.3 },
    })),
  };
}

export async function runOpenDeals(ctx: {
  apiUrl: string;
  sql: postgres.Sql;
  org: Org;
  workerPid: number;
  deals: number;
  firstDueS: number;
  spreadS: number;
  maxCachedWorkflows: number;
  log: (m: string) => void;
}): Promise<OpenDealFigures> {
  const { org, log, sql } = ctx;
  const atStart = rssOf(ctx.workerPid).rssMb;
  let peak = atStart;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rssOf(ctx.workerPid).rssMb);
      await sleep(1000);
    }
  })();

  // The reader, from the first deal on: each created deal (with its due time from the 201 answer)
  // is asked for once it is due, until its escalation is seen.
  const dueOf = new Map<string, number>();
  const seen = new Map<string, { at: number; due: number; seenAt: number }>();
  let creating = true;
  let giveUp = Number.POSITIVE_INFINITY;
  const reader = (async () => {
    while (creating || (seen.size < dueOf.size && Date.now() < giveUp)) {
      const asked = Date.now();
      const ids: string[] = [];
      for (const [id, due] of dueOf) if (due <= asked + 1000 && !seen.has(id)) ids.push(id);
      if (ids.length) {
        try {
          const rows = await sql<{ deal_id: string; at: string | Date; due: string }[]>`
            SELECT e.deal_id, e.at, e.data->>'dueAt' AS due FROM deal_events e
            WHERE e.type = 'stage.escalated' AND e.deal_id = ANY(${ids}::text[])`;
          for (const r of rows) {
            if (!seen.has(r.deal_id))
              seen.set(r.deal_id, { at: new Date(r.at).getTime(), due: Date.parse(r.due), seenAt: asked });
          }
        } catch (err) {
          log(`open deals: reading escalations failed (asked again): ${err}`);
        }
      }
      await sleep(Math.max(0, 250 - (Date.now() - asked)));
    }
  })();

  const teams = [0, 1, 2].map((t) => org.members.slice(t * 13, t * 13 + 13));
  const latency: number[] = [];
  let failed = 0;
  log(
    `open deals: creating ${ctx.deals} deals (deadlines ${ctx.firstDueS}-${ctx.firstDueS + ctx.spreadS} s after creation)`,
  );
  const t0 = performance.now();
  await pool(
    Array.from({ length: ctx.deals }, (_, i) => i),
    8,
    async (i) => {
      const team = teams[i % 3];
      const j = Math.floor(i / 3);
      const triangle = { AR: team[j % 13], SR: team[(j + 1) % 13], FR: team[(j + 2) % 13] };
      let status = 0;
      latency.push(
        await timed(async () => {
          const res = await call(ctx.apiUrl, org.tokens[org.ops], 'POST', '/deals', {
            title: `Open deal ${i}`,
            account: { name: `Open account ${i % 500}` },
            value: { amount: 50_000 + (i % 1000) * 100, currency: 'CNY' },
            triangle,
            process: { key: `bench-sla-${i % SLA_PROCESSES}` },
          });
          status = res.status;
          if (status === 201) {
            const deal = res.json as { id: string; stage?: { dueAt: string | null } | null };
            dueOf.set(deal.id, deal.stage?.dueAt ? Date.parse(deal.stage.dueAt) : Date.now());
          }
          if (status !== 201 && failed < 3)
            log(`open deals: create answered ${status}: ${res.text.slice(0, 200)}`);
        }),
      );
      if (status !== 201) failed++;
      if ((i + 1) % 1000 === 0)
        log(`open deals: ${i + 1} created, worker RSS ${rssOf(ctx.workerPid).rssMb} MB`);
    },
  );
  const createS = (performance.now() - t0) / 1000;
  const createdUntil = new Date();
  log(`open deals: created in ${createS.toFixed(1)} s; waiting for their escalations`);

  // Until every escalation is seen, or the last deadline is well past.
  giveUp = createdUntil.getTime() + (ctx.firstDueS + ctx.spreadS + 60) * 1000;
  creating = false;
  await reader;
  sampling = false;
  await sampler;
  const values = [...seen.values()];
  const dues = values.map((v) => v.due);
  const during = values.filter((v) => v.due < createdUntil.getTime());
  const unseenIds = [...dueOf.keys()].filter((id) => !seen.has(id)).slice(0, 5);
  const unseen = unseenIds.length
    ? await sql<{ dealId: string; dueAt: string | null; escalatedAt: string | null }[]>`
        SELECT d.id AS "dealId", d.due_at::text AS "dueAt",
          (SELECT min(e.at)::text FROM deal_events e
            WHERE e.deal_id = d.id AND e.type = 'stage.escalated') AS "escalatedAt"
        FROM deals d WHERE d.id = ANY(${unseenIds}::text[])`
    : [];
  if (unseen.length) log(`open deals: escalations not seen: ${JSON.stringify(unseen)}`);
  return {
    deals: ctx.deals,
    maxCachedWorkflows: ctx.maxCachedWorkflows,
    deadlineSpreadS: dues.length ? Math.round((Math.max(...dues) - Math.min(...dues)) / 1000) : 0,
    create: {
      seconds: Math.round(createS * 10) / 10,
      perSecond: Math.round((ctx.deals / createS) * 10) / 10,
      latency: stats(latency),
      failed,
    },
    workerRss: { peakSampledMb: peak, highWaterMb: rssOf(ctx.workerPid).peakMb, atStartMb: atStart },
    escalated: seen.size,
    lagRecorded: stats(values.map((v) => v.at - v.due)),
    lagReadable: stats(values.map((v) => v.seenAt - v.due)),
    lagReadableDuringCreation: stats(during.map((v) => v.seenAt - v.due)),
    dueDuringCreation: during.length,
    unseen,
  };
}
