/**
 * Notification intents: who is told what about a deal. The outbox rows (one per recipient, in the
 * recipient's language) are rendered from these by the `recordDeal` activity. Pure.
 */
import type { LocalizedText } from '../process/types';
import { TRIANGLE_ROLES } from '../process/types';
import { currentStageDef, waitingOn } from './machine';
import type { DealEventType, NotifyIntent } from './records';
import type { DealState } from './types';

/** What every notification about the deal shows: title, account, stage and due time. */
export function noticeContext(state: DealState): Record<string, unknown> {
  const s = state.stage;
  return {
    dealTitle: state.title,
    accountName: state.account.name,
    stage: s?.key ?? null,
    stageName: s ? currentStageDef(state).name : null,
    dueAt: s?.dueAt ?? null,
  };
}

export function triangleIds(state: Pick<DealState, 'triangle'>): string[] {
  return [...new Set(TRIANGLE_ROLES.map((r) => state.triangle[r]))];
}

/** A status change the triangle hears about (hold, resume, reassignment, cancel, completion). */
export function statusNotice(
  state: DealState,
  event: DealEventType,
  dedupe: string,
  data: Record<string, unknown>,
): NotifyIntent {
  return {
    kind: 'status',
    event,
    dedupe,
    userIds: triangleIds(state),
    stage: state.stage?.key ?? null,
    data: { ...noticeContext(state), ...data },
  };
}

/** A task: these users are asked to sign the current stage. */
export function taskNotice(
  state: DealState,
  event: DealEventType,
  dedupe: string,
  userIds: string[],
  data: Record<string, unknown> = {},
): NotifyIntent[] {
  if (userIds.length === 0) return [];
  return [
    {
      kind: 'task',
      event,
      dedupe,
      userIds: [...new Set(userIds)],
      stage: state.stage?.key ?? null,
      data: { ...noticeContext(state), ...data },
    },
  ];
}

/** The stage just entered: everyone it waits on gets a task. */
export function entryTasks(state: DealState, dedupe: string): NotifyIntent[] {
  const waiting = waitingOn(state);
  return taskNotice(
    state,
    'stage.entered',
    dedupe,
    waiting.map((w) => w.userId),
    { waitingOn: waiting },
  );
}

export function reminderNotice(
  state: DealState,
  dedupe: string,
  userIds: string[],
  timeLeftMs: number,
): NotifyIntent {
  return {
    kind: 'reminder',
    event: 'stage.reminder',
    dedupe,
    userIds,
    stage: state.stage?.key ?? null,
    data: { ...noticeContext(state), timeLeftMs },
  };
}

export function escalationNotice(
  state: DealState,
  dedupe: string,
  userIds: string[],
  level: number,
  waiting: { role: string; userId: string }[],
): NotifyIntent {
  return {
    kind: 'escalation',
    event: 'stage.escalated',
    dedupe,
    userIds,
    stage: state.stage?.key ?? null,
    data: { ...noticeContext(state), level, waitingOn: waiting },
  };
}

/** A stage was decided: the triangle hears the decision and where the deal goes next. */
export function decisionNotice(
  state: DealState,
  context: Record<string, unknown>,
  visit: { key: string; visit: number },
  outcome: { kind: 'approved' } | { kind: 'rejected'; reason: string },
  next: { key: string; name: LocalizedText } | null,
): NotifyIntent {
  return {
    kind: 'decision',
    event: outcome.kind === 'rejected' ? 'signoff.rejected' : 'stage.completed',
    dedupe: `${visit.key}:${visit.visit}:decision`,
    userIds: triangleIds(state),
    stage: visit.key,
    data: {
      ...context,
      decision: outcome.kind === 'approved' ? 'approve' : 'reject',
      ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}),
      targetStage: next?.key ?? null,
      targetStageName: next?.name ?? null,
    },
  };
}
