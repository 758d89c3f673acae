/**
 * Offboarding (`offboard-<userId>`): everything a person holds passes to a successor. It runs as a
 * batch: first what is not a deal (tokens, delegations, account-team roles, contact relationships),
 * then the person's running deals, a batch at a time, each deal's role handed over by the deal's
 * own `reassign` Update (with an update id per deal and role, so a retry never applies it twice).
 * Each activity retries until it answers; a worker crash resumes where it stopped. Every item ends
 * in the report as moved or not moved with the reason (e.g. the three-people rule).
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { OffboardActivities, OffboardArgs } from '../activities/offboard';

/** Deals handed over at once. */
const BATCH = 10;
/** Continue as new past this many history events (a person may hold thousands of deals). */
const MAX_HISTORY_EVENTS = 5_000;

const acts = proxyActivities<OffboardActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

export async function offboardWorkflow(args: OffboardArgs & { holdingsDone?: boolean }): Promise<void> {
  if (!args.holdingsDone) await acts.offboardHoldings(args);
  for (;;) {
    if (workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
      return continueAsNew<typeof offboardWorkflow>({ ...args, holdingsDone: true });
    }
    const batch = await acts.offboardDealBatch({ userId: args.userId, limit: BATCH });
    if (batch.length === 0) break;
    await Promise.all(batch.map((d) => acts.offboardDeal({ ...args, dealId: d.dealId, role: d.role })));
  }
  await acts.offboardFinish({ userId: args.userId });
}
