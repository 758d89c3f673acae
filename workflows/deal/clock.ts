/**
 * The SLA clock's actions, as the main loop fires them: reminders and escalation levels. The
 * escalation targets are looked up first, outside the lock; the change is applied only if the
 * stage visit is still waiting and the level still due.
 */
import { applyEscalation, applyReminder } from '../../domain/deal/clock';
import { isTerminal, pendingUserIds, waitingOn } from '../../domain/deal/machine';
import type { SlaAction } from '../../domain/deal/sla';
import type { DealState, Directory, StageVisit } from '../../domain/deal/types';
import { stepLookups } from './activities';
import type { DealLock } from './lock';
import type { DealWriter } from './writer';

export interface ClockContext {
  state: DealState;
  lock: DealLock;
  writer: DealWriter;
  directory(): Promise<Directory>;
}

/** Fire one action for `visit`; false when the deal moved or paused meanwhile (nothing was done). */
export async function fire(ctx: ClockContext, visit: StageVisit, action: SlaAction): Promise<boolean> {
  const { state, lock, writer } = ctx;
  const stillWaiting = () =>
    state.stage === visit && !visit.outcome && state.status === 'active' && !isTerminal(state);
  if (action.kind === 'reminder') {
    return lock.run(async () => {
      if (!stillWaiting()) return false;
      await writer.step(applyReminder(state, action, pendingUserIds(state), Date.now()));
      return true;
    });
  }
  const targets = await stepLookups.resolveEscalationTargets({
    dealId: state.dealId,
    triangle: state.triangle,
    targets: action.def.notify,
    pendingUserIds: pendingUserIds(state),
  });
  const directory = action.def.action ? await ctx.directory() : undefined;
  return lock.run(async () => {
    if (!stillWaiting() || visit.escalationLevel >= action.level) return false;
    const write = applyEscalation(state, action, targets, waitingOn(state), directory!, Date.now());
    await writer.step(write);
    return true;
  });
}
