/**
 * Report summaries the deal's write keeps in the same transaction (migration 0008). Stage visit and
 * escalation summaries are written by triggers in the write's own statement; the credit summary
 * needs `creditForDeal`, so the write that completes a deal runs in a transaction with
 * `refreshDealCredits` (db/deal-credits.ts). Every other write stays one statement.
 */
import type { Db } from '../db/client';
import { refreshDealCredits, type SqlRunner } from '../db/deal-credits';
import type { RecordInput } from './types';

/** Whether this write leaves the deal completed (its credit is then summarised). */
export function completesDeal(input: Pick<RecordInput, 'deal'>): boolean {
  return input.deal.status === 'completed';
}

/**
 * Run the deal's write `run` (one statement) and, when it completes the deal, refresh the deal's
 * credit rows in the same transaction.
 */
export async function withSummaries<T>(
  db: Db,
  input: Pick<RecordInput, 'deal' | 'dealId'>,
  run: (q: SqlRunner) => Promise<T>,
): Promise<T> {
  if (!completesDeal(input)) return run(db);
  return db.transaction(async (tx) => {
    const out = await run(tx);
    await refreshDealCredits(tx, input.dealId);
    return out;
  });
}

/** In a transaction already open (a write that replaced a ghost's rows): refresh when completed. */
export async function summariesIn(tx: SqlRunner, input: Pick<RecordInput, 'deal' | 'dealId'>): Promise<void> {
  if (completesDeal(input)) await refreshDealCredits(tx, input.dealId);
}
