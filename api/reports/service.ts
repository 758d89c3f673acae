/**
 * Reports over the Postgres projection (deals, stage_visits, deal_events). Every query is limited
 * to the caller's deal scope; nothing here talks to Temporal.
 */
import { and, asc, eq, gte, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { dealCredits, deals, stageEscalations, stageVisitSummaries, users } from '../../db/schema';
import { CURRENCY_PATTERN } from '../../domain/money';
import type { LocalizedText, StageDefinition } from '../../domain/process/types';
import { type DealScope, visibleDealsWhere } from '../auth/access';
import { cursorFields, decodeCursor, page } from '../http/pagination';
import { getProcessVersion } from '../process-definitions/repo';
import type { CreditReport, PipelineReport, SlaReport } from './schemas';

/** At most this many overdue deals are listed (`overdueTotal` has the full count). */
export const OVERDUE_LIMIT = 500;

export interface Period {
  from: Date;
  to: Date;
}

/** Money as integer cents, so sums across groups do not drift. */
const toCents = (v: string | number | null): number => Math.round(Number(v ?? 0) * 100);
const fromCents = (c: number): number => Math.round(c) / 100;

interface StageMeta {
  index: number;
  name: LocalizedText;
  gate: string | null;
  stageCount: number;
}

/** Stage names, indexes and counts from the pinned (immutable, cached) process versions. */
function stageCatalog(db: Db) {
  return async function meta(key: string, version: number, stageKey: string): Promise<StageMeta | undefined> {
    const proc = await getProcessVersion(db, key, version);
    if (!proc) return undefined;
    const stages: StageDefinition[] = proc.definition.stages;
    const index = stages.findIndex((s) => s.key === stageKey);
    if (index < 0) return undefined;
    const s = stages[index];
    return { index, name: s.name, gate: s.gate ?? null, stageCount: stages.length };
  };
}

function fallbackMeta(stageKey: string, index: number | null): StageMeta {
  return { index: index ?? 0, name: { en: stageKey, zh: stageKey }, gate: null, stageCount: 0 };
}

const byStage = (
  a: { processKey: string; stageIndex: number; stageKey: string },
  b: { processKey: string; stageIndex: number; stageKey: string },
) =>
  a.processKey < b.processKey
    ? -1
    : a.processKey > b.processKey
      ? 1
      : a.stageIndex - b.stageIndex || (a.stageKey < b.stageKey ? -1 : a.stageKey > b.stageKey ? 1 : 0);

type CreditKey = { currency: string; credit: number; userId: string };

/** Credit rows: by currency, then the highest credit first, then by user id. */
const byCredit = (a: CreditKey, b: CreditKey) =>
  (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0) ||
  b.credit - a.credit ||
  (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);

const CreditCursor = z.strictObject({
  currency: z.string().regex(CURRENCY_PATTERN),
  credit: z.number(),
  userId: cursorFields.text,
});

export function createReportService(db: Db) {
  const meta = stageCatalog(db);

  /** Active deals per process + stage, per currency: count, total and stage-weighted value. */
  async function pipeline(scope: DealScope, q: { processKey?: string }): Promise<PipelineReport> {
    const asOf = new Date();
    const rows = await db
      .select({
        processKey: deals.processKey,
        processVersion: deals.processVersion,
        stageKey: sql<string>`${deals.stageKey}`,
        stageIndex: deals.stageIndex,
        currency: deals.currency,
        count: sql<number>`count(*)::int`,
        total: sql<string>`sum(${deals.valueAmount})::text`,
      })
      .from(deals)
      .where(
        and(
          eq(deals.status, 'active'),
          isNotNull(deals.stageKey),
          q.processKey ? eq(deals.processKey, q.processKey) : undefined,
          visibleDealsWhere(scope),
        ),
      )
      .groupBy(deals.processKey, deals.processVersion, deals.stageKey, deals.stageIndex, deals.currency);

    type Acc = {
      processKey: string;
      stageKey: string;
      meta: StageMeta;
      metaVersion: number;
      count: number;
      values: Map<string, { count: number; total: number; weighted: number }>;
    };
    const groups = new Map<string, Acc>();
    for (const r of rows) {
      const m = await meta(r.processKey, r.processVersion, r.stageKey);
      const index = r.stageIndex ?? m?.index ?? 0;
      const cents = toCents(r.total);
      // Stage-progress probability of the deal's own process version.
      const weighted = m && m.stageCount > 0 ? (cents * (index + 1)) / m.stageCount : 0;
      const key = `${r.processKey}\u0000${r.stageKey}`;
      let g = groups.get(key);
      if (!g) {
        g = {
          processKey: r.processKey,
          stageKey: r.stageKey,
          meta: m ?? fallbackMeta(r.stageKey, r.stageIndex),
          metaVersion: m ? r.processVersion : -1,
          count: 0,
          values: new Map(),
        };
        groups.set(key, g);
      } else if (m && r.processVersion > g.metaVersion) {
        // Name and position from the newest version the grouped deals run on.
        g.meta = m;
        g.metaVersion = r.processVersion;
      }
      g.count += r.count;
      const v = g.values.get(r.currency) ?? { count: 0, total: 0, weighted: 0 };
      v.count += r.count;
      v.total += cents;
      v.weighted += weighted;
      g.values.set(r.currency, v);
    }

    const items = [...groups.values()]
      .map((g) => ({
        processKey: g.processKey,
        stageKey: g.stageKey,
        stageIndex: g.meta.index,
        stageName: g.meta.name,
        gate: g.meta.gate,
        count: g.count,
        values: [...g.values.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([currency, v]) => ({
            currency,
            count: v.count,
            total: fromCents(v.total),
            weighted: fromCents(v.weighted),
          })),
      }))
      .sort(byStage);
    return { asOf: asOf.toISOString(), items };
  }

  /** Time in stage, breaches and escalations in the period; deals overdue now. */
  async function sla(scope: DealScope, period: Period, q: { processKey?: string }): Promise<SlaReport> {
    const now = new Date();
    const visible = visibleDealsWhere(scope);
    // Both from their summaries (migration 0008): an index-only scan of the period; a manager's
    // scope joins the deal rows for who holds them.
    const v = stageVisitSummaries;
    const percentiles = sql`percentile_cont(array[0.5, 0.9]::float8[]) within group (order by ${v.durationMs}) filter (where not ${v.cancelled})`;
    const visitQuery = db
      .select({
        processKey: v.processKey,
        version: sql<number>`max(${v.processVersion})::int`,
        stageKey: v.stageKey,
        stageIndex: sql<number>`min(${v.stageIndex})::int`,
        visits: sql<number>`count(*)::int`,
        // One aggregate, one sort, for both percentiles (Postgres computes identical aggregates once).
        medianMs: sql<number | null>`(${percentiles})[1]`,
        p90Ms: sql<number | null>`(${percentiles})[2]`,
        breaches: sql<number>`(count(*) filter (where ${v.breached}))::int`,
      })
      .from(v)
      .$dynamic();
    if (visible) visitQuery.innerJoin(deals, eq(deals.id, v.dealId));
    const visitRows = await visitQuery
      .where(
        and(
          gte(v.exitedAt, period.from),
          lt(v.exitedAt, period.to),
          q.processKey ? eq(v.processKey, q.processKey) : undefined,
          visible,
        ),
      )
      .groupBy(v.processKey, v.stageKey);

    const e = stageEscalations;
    const escalationQuery = db
      .select({
        processKey: e.processKey,
        version: sql<number>`max(${e.processVersion})::int`,
        stageKey: e.stage,
        count: sql<number>`count(*)::int`,
      })
      .from(e)
      .$dynamic();
    if (visible) escalationQuery.innerJoin(deals, eq(deals.id, e.dealId));
    const escalationRows = await escalationQuery
      .where(
        and(
          gte(e.at, period.from),
          lt(e.at, period.to),
          q.processKey ? eq(e.processKey, q.processKey) : undefined,
          visible,
        ),
      )
      .groupBy(e.processKey, e.stage);

    type Acc = {
      processKey: string;
      stageKey: string;
      version: number;
      index: number | null;
      visits: number;
      medianMs: number | null;
      p90Ms: number | null;
      breaches: number;
      escalations: number;
    };
    const stats = new Map<string, Acc>();
    const acc = (processKey: string, stageKey: string, version: number): Acc => {
      const key = `${processKey}\u0000${stageKey}`;
      let a = stats.get(key);
      if (!a) {
        a = {
          processKey,
          stageKey,
          version,
          index: null,
          visits: 0,
          medianMs: null,
          p90Ms: null,
          breaches: 0,
          escalations: 0,
        };
        stats.set(key, a);
      }
      a.version = Math.max(a.version, version);
      return a;
    };
    const ms = (v: number | string | null) => (v === null ? null : Math.round(Number(v)));
    for (const r of visitRows) {
      const a = acc(r.processKey, r.stageKey, r.version);
      a.index = r.stageIndex;
      a.visits = r.visits;
      a.medianMs = ms(r.medianMs);
      a.p90Ms = ms(r.p90Ms);
      a.breaches = r.breaches;
    }
    for (const r of escalationRows) acc(r.processKey, r.stageKey, r.version).escalations = r.count;

    const stages: SlaReport['stages'] = [];
    for (const a of stats.values()) {
      const m = (await meta(a.processKey, a.version, a.stageKey)) ?? fallbackMeta(a.stageKey, a.index);
      stages.push({
        processKey: a.processKey,
        stageKey: a.stageKey,
        stageIndex: m.index,
        stageName: m.name,
        gate: m.gate,
        visits: a.visits,
        medianMs: a.medianMs,
        p90Ms: a.p90Ms,
        breaches: a.breaches,
        escalations: a.escalations,
      });
    }
    stages.sort(byStage);

    const overdueWhere = and(
      eq(deals.status, 'active'),
      lt(deals.dueAt, now),
      q.processKey ? eq(deals.processKey, q.processKey) : undefined,
      visible,
    );
    const [{ total }] = await db
      .select({ total: sql<number>`count(*)::int` })
      .from(deals)
      .where(overdueWhere);
    const overdueRows = await db
      .select({
        id: deals.id,
        title: deals.title,
        accountName: deals.accountName,
        valueAmount: deals.valueAmount,
        currency: deals.currency,
        processKey: deals.processKey,
        processVersion: deals.processVersion,
        stageKey: deals.stageKey,
        dueAt: deals.dueAt,
        escalationLevel: deals.escalationLevel,
        waitingOn: deals.waitingOn,
      })
      .from(deals)
      .where(overdueWhere)
      .orderBy(asc(deals.dueAt), asc(deals.id))
      .limit(OVERDUE_LIMIT);
    const waiting = new Map(
      overdueRows.map((d) => [d.id, (d.waitingOn ?? []) as { role: string; userId: string }[]]),
    );
    const names = await userNames([...new Set([...waiting.values()].flat().map((w) => w.userId))]);
    const overdue: SlaReport['overdue'] = [];
    for (const d of overdueRows) {
      const m = d.stageKey ? await meta(d.processKey, d.processVersion, d.stageKey) : undefined;
      const dueAt = d.dueAt as Date;
      overdue.push({
        dealId: d.id,
        title: d.title,
        accountName: d.accountName,
        value: { amount: Number(d.valueAmount), currency: d.currency },
        processKey: d.processKey,
        stageKey: d.stageKey,
        stageName: d.stageKey ? (m?.name ?? { en: d.stageKey, zh: d.stageKey }) : null,
        dueAt: dueAt.toISOString(),
        overdueMs: now.getTime() - dueAt.getTime(),
        escalationLevel: d.escalationLevel,
        waitingOn: (waiting.get(d.id) ?? []).map((w) => ({
          role: w.role,
          userId: w.userId,
          name: names.get(w.userId) ?? null,
        })),
      });
    }
    return {
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      asOf: now.toISOString(),
      stages,
      overdue,
      overdueTotal: total,
    };
  }

  /**
   * Credit per user and currency for deals completed in the period, from the approved visits of
   * their stages (holders and weights as recorded when each visit was exited). A manager sees only
   * the users in their scope, but on every deal those users earned credit on.
   */
  async function credit(
    scope: DealScope,
    period: Period,
    q: { processKey?: string; limit: number; cursor?: string },
  ): Promise<CreditReport> {
    const after = decodeCursor(q.cursor, CreditCursor);
    // From the credit summary (migration 0008): what each user earned on each completed deal,
    // computed once by creditForDeal when the deal completed. Sums of cents are exact (numeric), as
    // mergeCredit's are. A manager sees only the users in their scope, on every deal they earned on.
    const c = dealCredits;
    const scoped = scope.all
      ? undefined
      : scope.userIds.length === 0
        ? sql`false`
        : inArray(c.userId, scope.userIds);
    const sums = await db
      .select({
        userId: c.userId,
        currency: c.currency,
        credit: sql<string>`sum(${c.credit})::text`,
        deals: sql<number>`count(*)::int`,
      })
      .from(c)
      .where(
        and(
          gte(c.closedAt, period.from),
          lt(c.closedAt, period.to),
          q.processKey ? eq(c.processKey, q.processKey) : undefined,
          scoped,
        ),
      )
      .groupBy(c.currency, c.userId);
    const list = sums.map((r) => ({
      userId: r.userId,
      currency: r.currency,
      credit: Number(r.credit),
      deals: r.deals,
    }));
    list.sort(byCredit);
    // The cursor is the sort key of the last row returned: the next page starts after it.
    const rest = after ? list.filter((i) => byCredit(i, after) > 0) : list;
    const p = page(rest.slice(0, q.limit + 1), q.limit, (last) => ({
      currency: last.currency,
      credit: last.credit,
      userId: last.userId,
    }));
    const names = await userNames([...new Set(p.items.map((i) => i.userId))]);
    return {
      items: p.items.map((i) => ({
        userId: i.userId,
        name: names.get(i.userId) ?? i.userId,
        currency: i.currency,
        credit: i.credit,
        deals: i.deals,
      })),
      nextCursor: p.nextCursor,
      from: period.from.toISOString(),
      to: period.to.toISOString(),
    };
  }

  async function userNames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await db
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(inArray(users.id, ids));
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  return { pipeline, sla, credit };
}

export type ReportService = ReturnType<typeof createReportService>;
