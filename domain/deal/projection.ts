/** The `deals` row as the deal's state says it is now. Pure. */
import { isTerminal, pendingUserIds, waitingOn } from './machine';
import { participantIds } from './policy';
import type { DealProjection } from './records';
import type { DealState } from './types';

export function projectionOf(state: DealState, now: number): DealProjection {
  const s = state.stage;
  return {
    projectionSeq: state.seq,
    status: state.status,
    value: state.value,
    triangle: { ...state.triangle },
    stageKey: s?.key ?? null,
    stageIndex: s?.index ?? null,
    stageVisit: s?.visit ?? null,
    stageEnteredAt: s?.enteredAt ?? null,
    dueAt: s?.dueAt ?? null,
    escalationLevel: s?.escalationLevel ?? 0,
    required: s?.required ?? [],
    waitingOn: waitingOn(state),
    pendingUserIds: pendingUserIds(state),
    participantIds: participantIds(state),
    closedAt: isTerminal(state) ? new Date(now).toISOString() : null,
  };
}
