/**
 * The credit summary (`deal_credits`): what each user earned on a completed deal, computed once by
 * `creditForDeal` (domain/deal/credit.ts, the only implementation of credit) from the deal's approved
 * stage visits and role handovers, and summed by the credit report.
 *
 * - `refreshDealCredits`: the deal's completing write calls it in the same transaction (and a write
 *   that replaced a ghost's rows, in that transaction): it replaces the deal's rows.
 * - `backfillDealCredits`: after the migrations, for completed deals that have no rows yet.
 *
 * A completed deal is final (no later write changes its value, visits or handovers), so its rows
 * stay right once written.
 */
import { sql } from 'drizzle-orm';
import { type CreditStage, creditForDeal, type Handover, holderSpans } from '../domain/deal/credit';

/** A drizzle database or transaction: anything that runs a statement. */
export interface SqlRunner {
  // biome-ignore lint/suspicious/noExplicitAny: drizzle's db and tx differ only in their row typing
  execute(query: ReturnType<typeof sql>): Promise<any>;
}

interface SourceRow {
  id: string;
  value: string | number;
  visits: { stageKey: string; holders: unknown; weights: unknown; enteredMs: number; exitedMs: number }[];
  handovers: { data: Record<string, unknown>; atMs: number }[];
}

/** `role.reassigned` event data as a handover, or null when it is not one. */
export function handoverOf(data: unknown, at: number): Handover | null {
  const d = (data ?? {}) as { role?: unknown; from?: unknown; to?: unknown };
  if (typeof d.from !== 'string' || typeof d.to !== 'string') return null;
  if (d.role !== 'AR' && d.role !== 'SR' && d.role !== 'FR') return null;
  return { role: d.role, from: d.from, to: d.to, at };
}

/** Credit per user of one deal, from its approved visits in the order they ended. */
export function creditOf(
  value: number,
  visits: { stageKey: string; holders: unknown; weights: unknown; enteredMs: number; exitedMs: number }[],
  handovers: Handover[],
): Record<string, number> {
  return creditForDeal(
    value,
    visits.map((v) => ({
      stageKey: v.stageKey,
      holders: v.holders as CreditStage['holders'],
      weights: v.weights as CreditStage['weights'],
      spans: holderSpans(v.enteredMs, v.exitedMs, handovers),
    })),
  );
}

/**
 * Completed deals (with a close time) among `ids`, with their approved visits in the order they
 * ended and their handovers. Times in epoch ms as a JS Date holds them (sub-milliseconds dropped).
 */
async function loadSources(db: SqlRunner, ids: string[]): Promise<SourceRow[]> {
  if (ids.length === 0) return [];
  const idList = sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;
  const rows: SourceRow[] = await db.execute(sql`
    SELECT d.id, d.value_amount::text AS value,
      coalesce((
        SELECT json_agg(json_build_object('stageKey', v.stage_key, 'holders', v.holders, 'weights', v.weights,
          'enteredMs', floor(extract(epoch from v.entered_at) * 1000)::float8,
          'exitedMs', floor(extract(epoch from v.exited_at) * 1000)::float8)
          ORDER BY v.exited_at, v.visit, v.stage_key)
        FROM stage_visits v WHERE v.deal_id = d.id AND v.outcome IN ('approved', 'auto_approved')
      ), '[]'::json) AS visits,
      coalesce((
        SELECT json_agg(json_build_object('data', e.data, 'atMs', floor(extract(epoch from e.at) * 1000)::float8))
        FROM deal_events e WHERE e.deal_id = d.id AND e.type = 'role.reassigned'
      ), '[]'::json) AS handovers
    FROM deals d
    WHERE d.id = ANY(${idList}) AND d.status = 'completed' AND d.closed_at IS NOT NULL`);
  return rows;
}

/** Insert the credit rows of these deals (their close time, currency and process from `deals`). */
async function insertCredits(db: SqlRunner, sources: SourceRow[]): Promise<number> {
  const rows: { dealId: string; userId: string; credit: string }[] = [];
  for (const s of sources) {
    const handovers = s.handovers.map((h) => handoverOf(h.data, h.atMs)).filter((h): h is Handover => !!h);
    const earned = creditOf(Number(s.value), s.visits, handovers);
    for (const [userId, credit] of Object.entries(earned))
      rows.push({ dealId: s.id, userId, credit: String(credit) });
  }
  if (rows.length === 0) return 0;
  await db.execute(sql`
    INSERT INTO deal_credits (deal_id, user_id, currency, process_key, closed_at, credit)
    SELECT d.id, x."userId", d.currency, d.process_key, d.closed_at, x.credit::numeric
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x("dealId" text, "userId" text, credit text)
    JOIN deals d ON d.id = x."dealId"
    ON CONFLICT (deal_id, user_id) DO UPDATE SET credit = EXCLUDED.credit, currency = EXCLUDED.currency,
      process_key = EXCLUDED.process_key, closed_at = EXCLUDED.closed_at`);
  return rows.length;
}

/** Replace the deal's credit rows with what it earned now (none unless it is completed). */
export async function refreshDealCredits(db: SqlRunner, dealId: string): Promise<void> {
  await db.execute(sql`DELETE FROM deal_credits WHERE deal_id = ${dealId}`);
  await insertCredits(db, await loadSources(db, [dealId]));
}

/** Credit rows for every completed deal that has none yet, in batches; answers how many deals. */
export async function backfillDealCredits(db: SqlRunner, batch = 500): Promise<number> {
  const missing: { id: string }[] = await db.execute(sql`
    SELECT d.id FROM deals d
    WHERE d.status = 'completed' AND d.closed_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM deal_credits c WHERE c.deal_id = d.id)
    ORDER BY d.id`);
  for (let i = 0; i < missing.length; i += batch) {
    await insertCredits(
      db,
      await loadSources(
        db,
        missing.slice(i, i + batch).map((r) => r.id),
      ),
    );
  }
  return missing.length;
}
