/**
 * What a deal writes: timeline events, the `deals` projection, sign-off and stage-visit rows, and
 * notification intents. Plain types (and one constant list), built by the pure functions in this
 * folder and written by the `recordDeal` activity.
 */
import type { Approver } from '../process/types';
import type { Money, RequiredApprover, StageSummary, Triangle } from './types';

export const DEAL_EVENT_TYPES = [
  'deal.created',
  'stage.entered',
  'signoff.approved',
  'signoff.rejected',
  'stage.completed',
  'stage.reminder',
  'stage.escalated',
  'stage.auto_decided',
  'stage.approvers_updated',
  'deal.on_hold',
  'deal.resumed',
  'role.reassigned',
  'deal.amended',
  'deal.cancelled',
  'deal.completed',
  'deal.lost',
] as const;
export type DealEventType = (typeof DEAL_EVENT_TYPES)[number];

export interface EventRecord {
  seq: number;
  /** Idempotency key within the deal, built from the stage, visit and event. */
  key: string;
  type: DealEventType;
  at: string;
  stage: string | null;
  actorId: string;
  onBehalfOfId: string | null;
  data: Record<string, unknown>;
}

/** The `deals` row as of event `projectionSeq`. Writes never move the row backwards. */
export interface DealProjection {
  projectionSeq: number;
  status: string;
  value: Money;
  triangle: Triangle;
  stageKey: string | null;
  stageIndex: number | null;
  stageVisit: number | null;
  stageEnteredAt: string | null;
  dueAt: string | null;
  escalationLevel: number;
  required: RequiredApprover[];
  waitingOn: { role: Approver; userId: string }[];
  pendingUserIds: string[];
  /** Non-triangle signers of the current stage; added to the deal's participants (never removed). */
  participantIds: string[];
  closedAt: string | null;
}

export type NotificationKind = 'task' | 'reminder' | 'escalation' | 'decision' | 'status';

/** A notification to write to the outbox, one row per recipient. */
export interface NotifyIntent {
  kind: NotificationKind;
  /** The timeline event type that caused it. */
  event: DealEventType;
  /** Part of the dedupe key: (deal, stage, visit, kind, event, discriminator, user). */
  dedupe: string;
  userIds: string[];
  stage: string | null;
  data: Record<string, unknown>;
}

export interface SignoffRow {
  stageKey: string;
  visit: number;
  role: Approver;
  userId: string;
  actorId: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  at: string;
}

export interface StageVisitRow extends StageSummary {
  weights: Partial<Record<'AR' | 'SR' | 'FR', number>>;
}

/** One write of a deal: everything a command or a step of the deal changed, applied atomically. */
export interface DealWrite {
  events: EventRecord[];
  signoffs: SignoffRow[];
  stageVisits: StageVisitRow[];
  notify: NotifyIntent[];
}

export function emptyWrite(): DealWrite {
  return { events: [], signoffs: [], stageVisits: [], notify: [] };
}

/** Several writes as one (a backlog flushed together): the rows of all, in order. */
export function mergeWrites(writes: DealWrite[]): DealWrite {
  const out = emptyWrite();
  for (const w of writes) {
    out.events.push(...w.events);
    out.signoffs.push(...w.signoffs);
    out.stageVisits.push(...w.stageVisits);
    out.notify.push(...w.notify);
  }
  return out;
}
