/**
 * The deal workflow, `dealWorkflow` (id `deal-<dealId>`): one large-account deal from lead to close.
 *
 * Deals started since the `deal-v3` patch run ./run.ts. A deal whose history began before it keeps
 * running the code it started with (./legacy.ts), so that its history replays exactly; its next run
 * (after Continue-As-New) moves to ./run.ts. The decision is made once, at the start of each run.
 */
import { patched } from '@temporalio/workflow';
import type { DealResult } from '../../domain/deal/types';
import type { DealWorkflowArgs } from '../messages';
import { legacyDealWorkflow } from './legacy';
import { runDeal } from './run';

export const DEAL_V3_PATCH = 'deal-v3';

export async function dealWorkflow(args: DealWorkflowArgs): Promise<DealResult> {
  return patched(DEAL_V3_PATCH) ? runDeal(args) : legacyDealWorkflow(args);
}
