/**
 * The deal workflow's message definitions: Updates, Queries and their argument types.
 * Dependency-free (only @temporalio/workflow's define* helpers and plain types), so the API imports
 * it without pulling workflow code, and the workflow imports it without pulling zod or I/O.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RemovalAuthority } from '../domain/deal/commands';
import type { DealView, SignoffRequest } from '../domain/deal/machine';
import type { Evidence } from '../domain/deal/requirements';
import type { DealInput, DealState, Decision, Money } from '../domain/deal/types';
import type { Approver, TriangleRole } from '../domain/process/types';

export const DEAL_WORKFLOW_TYPE = 'dealWorkflow';
export const workflowIdForDeal = (dealId: string): string => `deal-${dealId}`;

/** How a deal workflow starts: a new deal, or a run continued from the previous one. */
export type DealWorkflowArgs =
  | { start: DealInput; options?: DealWorkflowOptions }
  | {
      carried: DealState;
      /** The stage the previous run was about to enter (runs before `deal-v3`); null when entered. */
      enterIndex: number | null;
      options?: DealWorkflowOptions;
    };

export interface DealWorkflowOptions {
  /** Continue-As-New after this many stage transitions in one run, besides Temporal's suggestion. */
  maxTransitionsPerRun?: number;
  /** Look the directory up again after a stage entry when it is older than this (default 10 min). */
  directoryMaxAgeMs?: number;
}

/** A sign-off as the API sends it: the domain's request (the actor comes from the verified token). */
export type SignoffArgs = SignoffRequest;

export interface SignoffResult {
  role: Approver;
  userId: string;
  actorId: string;
  decision: Decision;
  /** The gate after this sign-off: when decided, `deal` is already in its next stage. */
  gate: 'pending' | 'approved' | 'rejected';
  seq: number;
  /** The deal as it is after the sign-off (absent from runs started before `deal-v3`). */
  deal?: DealView;
}

export interface ActorArgs {
  actorId: string;
}
export interface HoldArgs extends ActorArgs {
  reason: string;
}
export interface CancelArgs extends ActorArgs {
  reason: string;
}
export interface ReassignArgs extends ActorArgs {
  role: TriangleRole;
  userId: string;
  reason: string;
}
export interface AmendArgs extends ActorArgs {
  value: Money;
  /**
   * Whose pending approvals this caller may remove by amending (ops: `any`; a manager: the people
   * in their reporting line). An amend removing someone else's pending approval is refused.
   */
  mayRemove?: RemovalAuthority;
}

/** Every command answers with the deal's live state once applied (and projected). */
export const signoffUpdate = defineUpdate<SignoffResult, [SignoffArgs]>('signoff');
export const holdUpdate = defineUpdate<DealView, [HoldArgs]>('hold');
export const resumeUpdate = defineUpdate<DealView, [ActorArgs]>('resume');
export const reassignUpdate = defineUpdate<DealView, [ReassignArgs]>('reassign');
export const amendUpdate = defineUpdate<DealView, [AmendArgs]>('amend');
export const cancelUpdate = defineUpdate<DealView, [CancelArgs]>('cancel');

/** What the deal has for its stages' requirements changed (runs since `deal-requires`). */
export interface EvidenceArgs extends ActorArgs {
  evidence: Evidence;
}
export const evidenceUpdate = defineUpdate<DealView, [EvidenceArgs]>('evidence');

/** Answers once the deal has entered its first stage (used with update-with-start on creation). */
export const readyUpdate = defineUpdate<DealView, []>('ready');

export const dealQuery = defineQuery<DealView>('deal');

/** ApplicationFailure types thrown by validators, mapped to HTTP statuses by the API. */
export const REFUSAL_FAILURE_TYPE = 'DealRefusal';

/** The offboarding workflow (workflows/offboard.ts): one per person, `offboard-<userId>`. */
export const OFFBOARD_WORKFLOW_TYPE = 'offboardWorkflow';
export const workflowIdForOffboarding = (userId: string): string => `offboard-${userId}`;
