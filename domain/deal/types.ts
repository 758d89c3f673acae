/**
 * The deal's state as the workflow carries it: plain JSON only, so it survives Continue-As-New
 * unchanged (no Map, Set, Date or class instances).
 */
import type { Approver, ProcessDefinition, TriangleRole } from '../process/types';
import type { DealProjection, DealWrite } from './records';
import type { Evidence } from './requirements';

export type DealStatus = 'active' | 'on_hold' | 'completed' | 'lost' | 'cancelled';
export const DEAL_STATUSES: readonly DealStatus[] = ['active', 'on_hold', 'completed', 'lost', 'cancelled'];

export type Triangle = Record<TriangleRole, string>;

export interface Money {
  amount: number;
  currency: string;
}

/** An approver of the current visit with the users who may sign for it, resolved at entry. */
export interface RequiredApprover {
  approver: Approver;
  userIds: string[];
  /** Added by a `when` condition (then mandatory whatever the rule). */
  conditional: boolean;
  /**
   * Nobody fills this approver (an AR without a manager, an empty group): ops stand in, so the deal
   * never stalls silently.
   */
  standIn?: boolean;
}

export type Decision = 'approve' | 'reject';

export interface Signoff {
  role: Approver;
  /** The user the sign-off counts for (the role holder, group member or manager). */
  userId: string;
  /** Who acted: the user, their delegate, or `system`. */
  actorId: string;
  decision: Decision;
  comment?: string;
  at: string;
}

export interface StageVisit {
  key: string;
  index: number;
  /** 1 on first entry, +1 each time a rejection sends the deal back here. */
  visit: number;
  enteredAt: string;
  /** Due time; null while on hold (see DealState.hold). */
  dueAt: string | null;
  required: RequiredApprover[];
  signoffs: Signoff[];
  /** Reminders already sent in this visit. */
  remindersSent: number;
  /** Escalation levels already fired in this visit (0 = none). */
  escalationLevel: number;
  /** Set once the gate is decided, before the workflow moves on. */
  outcome: StageOutcome | null;
  /** Role holders while in this stage: the first entry, then one per reassignment. */
  holders: { role: TriangleRole; userId: string; from: string }[];
}

export type StageOutcome =
  | { kind: 'approved'; by: 'signers' | 'system'; at: string }
  | {
      kind: 'rejected';
      by: 'signers' | 'system';
      at: string;
      role: Approver;
      reason: string;
      actorId: string;
    };

/** One finished stage visit, for the completion summary, credit and SLA reports. */
export interface StageSummary {
  key: string;
  index: number;
  visit: number;
  enteredAt: string;
  exitedAt: string;
  durationMs: number;
  dueAt: string | null;
  breached: boolean;
  outcome: 'approved' | 'rejected' | 'auto_approved' | 'auto_rejected' | 'cancelled';
  escalations: number;
  signers: { role: Approver; userId: string; actorId: string; decision: Decision }[];
  holders: Triangle;
}

/** What the workflow is started with. */
export interface DealInput {
  dealId: string;
  title: string;
  account: { name: string; tier?: string };
  value: Money;
  triangle: Triangle;
  process: { key: string; version: number };
  definition: ProcessDefinition;
  createdBy: string;
  createdAt: string;
  /** What the deal has for stage requirements at creation (the account's decision chain). */
  evidence?: Evidence;
}

/**
 * Who fills the approvers that are not triangle roles, resolved from the org chart ahead of time so
 * that entering a stage needs no lookup: the AR's manager, the members of every group the process
 * names, and the ops users who stand in for an approver nobody fills.
 */
export interface Directory {
  /** When it was resolved (workflow time). */
  at: string;
  /** The AR it was resolved for: `manager` follows the AR. */
  ar: string;
  /** The AR's manager, or null. */
  manager: string | null;
  groups: Record<string, string[]>;
  ops: string[];
}

/** A write Postgres refused or could not take in time, kept until it lands (see the deal workflow). */
export interface Backlog {
  write: DealWrite;
  projection: DealProjection;
}

/** The running deal: its input (the triangle and value change over time) plus where it stands. */
export interface DealState extends DealInput {
  status: DealStatus;
  stage: StageVisit | null;
  /** Visits per stage key. */
  visits: Record<string, number>;
  /** Last timeline sequence number used. */
  seq: number;
  hold: { since: string; reason: string; remainingMs: number | null } | null;
  /** The most recent stage visits (bounded: older ones are in Postgres, `stage_visits`). */
  history: StageSummary[];
  /** Stage visits dropped from `history` to keep the state bounded. */
  historyDropped?: number;
  /** Approvers resolved ahead of time (absent in runs started before it existed). */
  directory?: Directory;
  /** Writes not yet in Postgres, merged into one; retried until they land. */
  backlog?: Backlog | null;
  /** Set while Postgres refuses or misses this deal's writes; shown to ops. */
  fault?: { since: string; error: string; seq: number } | null;
  /** Ids of the most recent accepted commands, so a retry after Continue-As-New is not applied twice. */
  recentUpdates?: string[];
  /** Outbox rows written but whose delivery has not been started yet. */
  pendingDeliveries?: string[];
  /**
   * Set by runs since the `deal-requires` patch: a stage completes only when its `requires` hold
   * too. Unset in older runs, which complete on sign-offs alone.
   */
  gatesAskEvidence?: boolean;
  /** What the deal has for stage requirements, as the API last told it. */
  evidence?: Evidence;
}

/** What a finished deal workflow returns. */
export interface DealResult {
  dealId: string;
  status: DealStatus;
  stages: StageSummary[];
}
