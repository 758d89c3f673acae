/**
 * The contract between the deal workflow and its activities: plain types only, so workflows can
 * `import type` them.
 */

import type { Money, RequiredApprover, StageSummary, Triangle } from '../domain/deal/types';
import type { Approver, EscalationTarget } from '../domain/process/types';

export const DEAL_EVENT_TYPES = [
  'deal.created',
  'stage.entered',
  'signoff.approved',
  'signoff.rejected',
  'stage.completed',
  'stage.reminder',
  'stage.escalated',
  'stage.auto_decided',
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

export interface RecordInput {
  dealId: string;
  events: EventRecord[];
  deal: DealProjection;
  signoff?: SignoffRow;
  stageVisit?: StageVisitRow;
  notify?: NotifyIntent[];
}

export interface ResolveApproversInput {
  dealId: string;
  triangle: Triangle;
  approvers: { approver: Approver; conditional: boolean }[];
}

export interface ResolveTargetsInput {
  dealId: string;
  triangle: Triangle;
  targets: EscalationTarget[];
  /** Signers still pending: `manager` means each one's manager. */
  pendingUserIds: string[];
}

/** The activities as the workflow sees them. */
export interface DealActivities {
  resolveApprovers(input: ResolveApproversInput): Promise<RequiredApprover[]>;
  resolveEscalationTargets(input: ResolveTargetsInput): Promise<string[]>;
  recordDeal(input: RecordInput): Promise<void>;
}
