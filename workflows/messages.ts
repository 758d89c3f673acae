/**
 * The deal workflow's message definitions: Updates, Queries and their argument types.
 * Dependency-free (only @temporalio/workflow's define* helpers and plain types), so the API imports
 * it without pulling workflow code, and the workflow imports it without pulling zod or I/O.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DealView, SignoffRequest } from '../domain/deal/machine';
import type { Decision, Money } from '../domain/deal/types';
import type { Approver, TriangleRole } from '../domain/process/types';

export const DEAL_WORKFLOW_TYPE = 'dealWorkflow';
export const workflowIdForDeal = (dealId: string): string => `deal-${dealId}`;

/** A sign-off as the API sends it: the domain's request (the actor comes from the verified token). */
export type SignoffArgs = SignoffRequest;

export interface SignoffResult {
  role: Approver;
  userId: string;
  actorId: string;
  decision: Decision;
  /** The gate after this sign-off: the workflow moves on by itself when it is decided. */
  gate: 'pending' | 'approved' | 'rejected';
  seq: number;
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
}

/** Every command answers with the deal's live state once applied (and projected). */
export const signoffUpdate = defineUpdate<SignoffResult, [SignoffArgs]>('signoff');
export const holdUpdate = defineUpdate<DealView, [HoldArgs]>('hold');
export const resumeUpdate = defineUpdate<DealView, [ActorArgs]>('resume');
export const reassignUpdate = defineUpdate<DealView, [ReassignArgs]>('reassign');
export const amendUpdate = defineUpdate<DealView, [AmendArgs]>('amend');
export const cancelUpdate = defineUpdate<DealView, [CancelArgs]>('cancel');

/** Answers once the deal has entered its first stage (used with update-with-start on creation). */
export const readyUpdate = defineUpdate<DealView, []>('ready');

export const dealQuery = defineQuery<DealView>('deal');

/** ApplicationFailure types thrown by validators, mapped to HTTP statuses by the API. */
export const REFUSAL_FAILURE_TYPE = 'DealRefusal';
