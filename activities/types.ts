/**
 * The contract between the deal workflow and its activities: plain types only, so workflows can
 * `import type` them.
 */

import type {
  DealProjection,
  EventRecord,
  NotifyIntent,
  SignoffRow,
  StageVisitRow,
} from '../domain/deal/records';
import type { Directory, RequiredApprover, Triangle } from '../domain/deal/types';
import type { Approver, EscalationTarget } from '../domain/process/types';

export {
  DEAL_EVENT_TYPES,
  type DealEventType,
  type DealProjection,
  type DealWrite,
  type EventRecord,
  type NotificationKind,
  type NotifyIntent,
  type SignoffRow,
  type StageVisitRow,
} from '../domain/deal/records';

export interface RecordInput {
  dealId: string;
  events: EventRecord[];
  deal: DealProjection;
  /** One sign-off (runs before `deal-v3`) … */
  signoff?: SignoffRow;
  /** … or any number of them. */
  signoffs?: SignoffRow[];
  stageVisit?: StageVisitRow;
  stageVisits?: StageVisitRow[];
  notify?: NotifyIntent[];
  /**
   * Leave starting the deliveries to the workflow (a command's write: the caller should not wait for
   * it); the outbox rows that need one are returned as `deferred`.
   */
  deferDelivery?: boolean;
  /** The deal's backlog landed: clear its fault flag in the same statement. */
  clearFault?: boolean;
  /**
   * Fencing token: the workflow's time (ms) when it scheduled the write. It grows strictly across
   * workflow task attempts and runs, so a write that meets a conflicting row with a higher fence is a
   * superseded attempt's late ghost and changes nothing. Absent: a write from before fences.
   */
  fence?: number;
}

export interface RecordResult {
  /** Outbox rows whose delivery the workflow starts (with `deferDelivery`). */
  deferred: string[];
  /**
   * The timeline event types written, in order: a local activity's marker keeps its result, not its
   * input, so this is what the history shows of an Update's write (replay fixture coverage reads it).
   */
  written: string[];
}

export interface ResolveDirectoryInput {
  dealId: string;
  /** The AR whose manager fills `manager`. */
  ar: string;
  /** The groups the deal's process names. */
  groups: string[];
}

export interface DealFaultInput {
  dealId: string;
  since: string;
  error: string;
  seq: number;
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
  /** Runs before `deal-v3` only: approvers resolved at each stage entry. */
  resolveApprovers(input: ResolveApproversInput): Promise<RequiredApprover[]>;
  resolveDirectory(input: ResolveDirectoryInput): Promise<Omit<Directory, 'at'>>;
  resolveEscalationTargets(input: ResolveTargetsInput): Promise<string[]>;
  recordDeal(input: RecordInput): Promise<RecordResult | undefined>;
  /** Flag the deal for ops: Postgres refuses or misses its writes (they are kept and retried). */
  reportDealFault(input: DealFaultInput): Promise<void>;
  /** Start delivering outbox rows (their own workflows; rows that need no delivery are skipped). */
  startDeliveries(input: { dealId: string; notificationIds: string[] }): Promise<void>;
}
