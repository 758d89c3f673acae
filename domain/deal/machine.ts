/**
 * The stage machine: every state change of a deal as a pure function. The workflow calls these and
 * only orchestrates (timers, activities, messages). Nothing here does I/O or reads the clock:
 * `now` is always passed in.
 */
import type {
  Approver,
  ProcessDefinition,
  Requirement,
  StageDefinition,
  TriangleRole,
} from '../process/types';
import { TRIANGLE_ROLES } from '../process/types';
import { SYSTEM_ACTOR } from './events';
import { allowsSamePerson, conflictingRoles } from './policy';
import { checkRequirements, NO_EVIDENCE, requirementsHold } from './requirements';
import { approversFor, evaluateGate, isTriangleRole, undecided } from './rules';
import { dueAtFor, pauseClock, resumeClock } from './sla';
import type {
  DealInput,
  DealState,
  Decision,
  Money,
  RequiredApprover,
  StageSummary,
  StageVisit,
  Triangle,
} from './types';

export { SYSTEM_ACTOR };

/** Stage visits kept in the state (older ones live in Postgres): bounded however often a deal loops. */
export const MAX_HISTORY = 60;
/** Role holders kept per stage visit (reassignments beyond are in the timeline). */
export const MAX_HOLDERS = 30;

export function initialState(input: DealInput): DealState {
  return {
    dealId: input.dealId,
    title: input.title,
    account: input.account,
    value: input.value,
    triangle: { ...input.triangle },
    process: input.process,
    definition: input.definition,
    status: 'active',
    stage: null,
    visits: {},
    seq: 0,
    hold: null,
    history: [],
    createdBy: input.createdBy,
    createdAt: input.createdAt,
  };
}

export function stageDef(state: Pick<DealState, 'definition'>, key: string): StageDefinition {
  const def = state.definition.stages.find((s) => s.key === key);
  if (!def) throw new Error(`unknown stage ${key}`);
  return def;
}

export function currentStageDef(state: DealState): StageDefinition {
  if (!state.stage) throw new Error('deal is not in a stage');
  return stageDef(state, state.stage.key);
}

export function isTerminal(state: Pick<DealState, 'status'>): boolean {
  return state.status === 'completed' || state.status === 'lost' || state.status === 'cancelled';
}

/** Enter stage `index`: a new visit with fresh sign-offs and a new due time. */
export function enterStage(
  state: DealState,
  index: number,
  required: RequiredApprover[],
  now: number,
): StageVisit {
  const def = state.definition.stages[index];
  const visit = (state.visits[def.key] ?? 0) + 1;
  state.visits[def.key] = visit;
  const at = new Date(now).toISOString();
  state.stage = {
    key: def.key,
    index,
    visit,
    enteredAt: at,
    dueAt: new Date(dueAtFor(def, now)).toISOString(),
    required,
    signoffs: [],
    remindersSent: 0,
    escalationLevel: 0,
    outcome: null,
    holders: TRIANGLE_ROLES.map((role) => ({ role, userId: state.triangle[role], from: at })),
  };
  return state.stage;
}

// ---------------------------------------------------------------------------------------------
// Sign-off
// ---------------------------------------------------------------------------------------------

export interface SignoffRequest {
  stage: string;
  role?: Approver;
  decision: Decision;
  comment?: string;
  /** The verified caller. */
  actorId: string;
  /** Users the caller may sign for: themselves plus anyone whose active delegate they are. */
  actingFor: string[];
}

export type RefusalCode =
  | 'not_active'
  | 'on_hold'
  | 'stale_stage'
  | 'stage_decided'
  | 'role_not_required'
  | 'not_assignee'
  | 'already_decided'
  | 'role_ambiguous'
  | 'comment_required'
  | 'separation_of_duties';

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export interface AcceptedSignoff {
  role: Approver;
  userId: string;
}

/** The synchronous check behind the sign-off Update's validator. */
export function checkSignoff(
  state: DealState,
  req: SignoffRequest,
): { ok: true; signoff: AcceptedSignoff } | { ok: false; refusal: Refusal } {
  const refuse = (code: RefusalCode, message: string) => ({ ok: false as const, refusal: { code, message } });
  if (state.status === 'on_hold')
    return refuse('on_hold', 'The deal is on hold; sign-offs resume when it is resumed');
  if (state.status !== 'active') return refuse('not_active', `The deal is ${state.status}`);
  if (!state.stage) return refuse('stale_stage', 'The deal is moving to its next stage; reload and retry');
  const stage = state.stage;
  if (req.stage !== stage.key) {
    return refuse('stale_stage', `The deal is at stage ${stage.key}, not ${req.stage}`);
  }
  if (stage.outcome) return refuse('stage_decided', `Stage ${stage.key} is already decided`);
  const rejectWithoutReason = req.decision === 'reject' && !req.comment?.trim();
  const decided = new Set(stage.signoffs.map((s) => s.role));
  const mine = (r: RequiredApprover) => r.userIds.find((u) => req.actingFor.includes(u));
  /** A role this signer may not add: they (or the one they act for) already signed another one. */
  const separated = (r: RequiredApprover) => signedOtherRole(state, stage, r.approver, req.actorId, mine(r)!);
  const separationRefusal = (role: Approver) =>
    refuse(
      'separation_of_duties',
      `You already signed another role at stage ${stage.key}; nobody signs two roles of one stage visit (${role} needs someone else)`,
    );
  if (req.role) {
    const required = stage.required.find((r) => r.approver === req.role);
    if (!required) return refuse('role_not_required', `Stage ${stage.key} does not require ${req.role}`);
    const userId = mine(required);
    if (!userId) return refuse('not_assignee', `You may not sign as ${req.role} on this deal`);
    if (decided.has(required.approver)) {
      return refuse('already_decided', `${req.role} has already decided at stage ${stage.key}`);
    }
    if (separated(required)) return separationRefusal(required.approver);
    if (rejectWithoutReason)
      return refuse('comment_required', 'A rejection needs a comment giving the reason');
    return { ok: true, signoff: { role: required.approver, userId } };
  }
  const candidates = stage.required.filter((r) => !decided.has(r.approver) && mine(r));
  const open = candidates.filter((r) => !separated(r));
  if (open.length === 0 && candidates.length > 0) return separationRefusal(candidates[0].approver);
  if (open.length === 1) {
    if (rejectWithoutReason)
      return refuse('comment_required', 'A rejection needs a comment giving the reason');
    return { ok: true, signoff: { role: open[0].approver, userId: mine(open[0])! } };
  }
  if (open.length > 1) {
    return refuse(
      'role_ambiguous',
      `You hold several roles here (${open.map((r) => r.approver).join(', ')}); name one`,
    );
  }
  if (stage.required.some((r) => decided.has(r.approver) && mine(r))) {
    return refuse('already_decided', `Your role has already decided at stage ${stage.key}`);
  }
  return refuse('not_assignee', `Stage ${stage.key} does not wait on you`);
}

/**
 * Separation of duties within a stage visit: whether signing `role` for `userId` (acting as
 * `actorId`) would make one person sign a second role, in their own name or as a delegate, where
 * the process does not allow that pair of roles to one person.
 */
export function signedOtherRole(
  state: Pick<DealState, 'definition'>,
  stage: StageVisit,
  role: Approver,
  actorId: string,
  userId: string,
): boolean {
  const people = new Set([actorId, userId]);
  return stage.signoffs.some(
    (s) =>
      s.role !== role &&
      (people.has(s.actorId) || people.has(s.userId)) &&
      s.actorId !== SYSTEM_ACTOR &&
      !allowsSamePerson(state.definition, s.role, role),
  );
}

/**
 * Record an accepted sign-off and evaluate the gate. Sets the visit's outcome when decided.
 * Returns the gate state after the sign-off.
 */
export function applySignoff(
  state: DealState,
  s: AcceptedSignoff & { actorId: string; decision: Decision; comment?: string },
  now: number,
): 'pending' | 'approved' | 'rejected' {
  const stage = state.stage!;
  const at = new Date(now).toISOString();
  stage.signoffs.push({
    role: s.role,
    userId: s.userId,
    actorId: s.actorId,
    decision: s.decision,
    ...(s.comment ? { comment: s.comment } : {}),
    at,
  });
  const def = currentStageDef(state);
  const gate = evaluateGate(def, stage.required, stage.signoffs);
  if (gate === 'approved' && !requirementsHold(state, def)) return 'pending'; // waits for its evidence
  if (gate === 'approved') stage.outcome = { kind: 'approved', by: 'signers', at };
  if (gate === 'rejected') {
    stage.outcome = {
      kind: 'rejected',
      by: 'signers',
      at,
      role: s.role,
      reason: s.comment ?? '',
      actorId: s.actorId,
    };
  }
  return gate;
}

/** An escalation level's `action` decides the stage as the system. */
export function autoDecide(state: DealState, action: 'approve' | 'reject', level: number, now: number): void {
  const stage = state.stage;
  if (!stage || stage.outcome) return;
  const at = new Date(now).toISOString();
  stage.outcome =
    action === 'approve'
      ? { kind: 'approved', by: 'system', at }
      : {
          kind: 'rejected',
          by: 'system',
          at,
          role: 'manager',
          reason: `Automatically rejected at escalation level ${level}`,
          actorId: SYSTEM_ACTOR,
        };
}

export type Transition = { kind: 'enter'; index: number } | { kind: 'complete' } | { kind: 'lost' };

/** Where a decided stage sends the deal: the next stage, completion, `onReject`, or lost. */
export function transitionAfter(definition: ProcessDefinition, visit: StageVisit): Transition {
  if (!visit.outcome) throw new Error('stage not decided');
  if (visit.outcome.kind === 'approved') {
    return visit.index + 1 < definition.stages.length
      ? { kind: 'enter', index: visit.index + 1 }
      : { kind: 'complete' };
  }
  const target = definition.stages[visit.index].onReject ?? 'lost';
  if (target === 'lost') return { kind: 'lost' };
  const index = definition.stages.findIndex((s) => s.key === target);
  return index < 0 ? { kind: 'lost' } : { kind: 'enter', index };
}

/** Close the current visit into a summary entry and clear it. */
export function closeVisit(state: DealState, now: number, cancelled = false): StageSummary {
  const v = state.stage!;
  const exitedAt = new Date(now).toISOString();
  const o = v.outcome;
  const outcome: StageSummary['outcome'] =
    cancelled || !o
      ? 'cancelled'
      : o.kind === 'approved'
        ? o.by === 'system'
          ? 'auto_approved'
          : 'approved'
        : o.by === 'system'
          ? 'auto_rejected'
          : 'rejected';
  const summary: StageSummary = {
    key: v.key,
    index: v.index,
    visit: v.visit,
    enteredAt: v.enteredAt,
    exitedAt,
    durationMs: now - Date.parse(v.enteredAt),
    dueAt: v.dueAt,
    breached:
      v.escalationLevel > 0 ||
      (v.dueAt !== null && Date.parse(v.dueAt) <= now) ||
      (v.dueAt === null && (state.hold?.remainingMs ?? 1) <= 0),
    outcome,
    escalations: v.escalationLevel,
    signers: v.signoffs.map((s) => ({
      role: s.role,
      userId: s.userId,
      actorId: s.actorId,
      decision: s.decision,
    })),
    holders: { ...state.triangle },
  };
  state.history.push(summary);
  if (state.history.length > MAX_HISTORY) {
    const dropped = state.history.length - MAX_HISTORY;
    state.history.splice(0, dropped);
    state.historyDropped = (state.historyDropped ?? 0) + dropped;
  }
  state.stage = null;
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Manager and ops actions
// ---------------------------------------------------------------------------------------------

export type CommandRefusal = {
  code:
    | 'not_active'
    | 'not_on_hold'
    | 'already_on_hold'
    | 'invalid'
    | 'triangle_conflict'
    | 'forbidden'
    | 'unavailable';
  message: string;
  /** The request field at fault, for `invalid`. */
  field?: string;
};

export function checkHold(state: DealState): CommandRefusal | null {
  if (state.status === 'on_hold') return { code: 'already_on_hold', message: 'The deal is already on hold' };
  if (state.status !== 'active') return { code: 'not_active', message: `The deal is ${state.status}` };
  return null;
}

export function hold(state: DealState, reason: string, now: number): void {
  state.status = 'on_hold';
  const remainingMs = state.stage ? pauseClock(state.stage, now) : null;
  state.hold = { since: new Date(now).toISOString(), reason, remainingMs };
  if (state.stage) state.stage.dueAt = null;
}

export function checkResume(state: DealState): CommandRefusal | null {
  if (state.status !== 'on_hold') return { code: 'not_on_hold', message: 'The deal is not on hold' };
  return null;
}

/** Resume: the clock restarts with the time that was left when the deal was held. */
export function resume(state: DealState, now: number): { heldMs: number } {
  const held = state.hold!;
  state.status = 'active';
  if (state.stage) state.stage.dueAt = resumeClock(held.remainingMs, now);
  state.hold = null;
  return { heldMs: now - Date.parse(held.since) };
}

export function checkActiveOrHeld(state: DealState): CommandRefusal | null {
  if (isTerminal(state)) return { code: 'not_active', message: `The deal is ${state.status}` };
  return null;
}

export function checkReassign(state: DealState, role: string, userId: string): CommandRefusal | null {
  const r = checkActiveOrHeld(state);
  if (r) return r;
  if (!isTriangleRole(role))
    return { code: 'invalid', message: `role must be one of AR, SR, FR`, field: 'role' };
  if (state.triangle[role] === userId) {
    return { code: 'invalid', message: `${userId} already holds ${role}`, field: 'userId' };
  }
  const conflicts = conflictingRoles(state.definition, state.triangle, role, userId);
  if (conflicts.length) {
    return {
      code: 'triangle_conflict',
      message: `${userId} already holds ${conflicts.join(' and ')} on this deal; the triangle is three people`,
      field: 'userId',
    };
  }
  return null;
}

/** Give a triangle role to another user: they can sign at once, the old holder no longer can. */
export function reassign(
  state: DealState,
  role: TriangleRole,
  userId: string,
  now: number,
): { from: string } {
  const from = state.triangle[role];
  state.triangle[role] = userId;
  const stage = state.stage;
  if (stage) {
    for (const r of stage.required) {
      if (r.approver === role) r.userIds = [userId];
    }
    stage.holders.push({ role, userId, from: new Date(now).toISOString() });
    if (stage.holders.length > MAX_HOLDERS) stage.holders.splice(0, stage.holders.length - MAX_HOLDERS);
  }
  return { from };
}

/**
 * Amend the deal value. Returns the approvers the current stage now needs that it did not before
 * (the caller resolves their users, then calls `addRequired`) and drops conditional approvers whose
 * condition no longer holds. When nothing is added, the gate is re-evaluated at once: dropping the
 * last pending approver decides the stage.
 */
export function amendValue(
  state: DealState,
  value: Money,
  now: number,
): { added: Approver[]; removed: Approver[] } {
  state.value = value;
  const stage = state.stage;
  if (!stage) return { added: [], removed: [] };
  const def = currentStageDef(state);
  const wanted = approversFor(def, value);
  const have = new Set(stage.required.map((r) => r.approver));
  const added = wanted.filter((w) => !have.has(w.approver)).map((w) => w.approver);
  const removed = stage.required
    .filter((r) => r.conditional && !wanted.some((w) => w.approver === r.approver))
    .map((r) => r.approver);
  stage.required = stage.required.filter((r) => !removed.includes(r.approver));
  // New approvers count at once, with nobody able to sign them until their users are resolved
  // (`addRequired`): no sign-off can pass the gate without them in the meantime.
  for (const w of wanted) {
    if (added.includes(w.approver))
      stage.required.push({ approver: w.approver, userIds: [], conditional: w.conditional });
  }
  if (added.length === 0 && removed.length > 0) addRequired(state, [], now);
  return { added, removed };
}

/**
 * Fill in the users of approvers added by an amend (or add them), then re-evaluate the gate, which
 * may now be decided.
 */
export function addRequired(
  state: DealState,
  added: RequiredApprover[],
  now: number,
): 'pending' | 'approved' | 'rejected' {
  const stage = state.stage!;
  for (const a of added) {
    const existing = stage.required.find((r) => r.approver === a.approver);
    if (existing) {
      existing.userIds = a.userIds;
      if (a.standIn) existing.standIn = true;
    } else {
      stage.required.push(a);
    }
  }
  const def = currentStageDef(state);
  const gate = evaluateGate(def, stage.required, stage.signoffs);
  if (gate === 'approved' && !requirementsHold(state, def)) return 'pending'; // waits for its evidence
  if (gate === 'approved' && !stage.outcome)
    stage.outcome = { kind: 'approved', by: 'signers', at: new Date(now).toISOString() };
  return gate;
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** Who the current stage waits on: every undecided approver's users, until the gate is decided. */
export function waitingOn(state: DealState): { role: Approver; userId: string }[] {
  const stage = state.stage;
  if (!stage || stage.outcome || state.status !== 'active') return [];
  return undecided(stage.required, stage.signoffs).flatMap((r) =>
    r.userIds.map((userId) => ({ role: r.approver, userId })),
  );
}

export function pendingUserIds(state: DealState): string[] {
  return [...new Set(waitingOn(state).map((w) => w.userId))].sort();
}

/** The live state, as the workflow's Query returns it. */
export interface DealView {
  dealId: string;
  status: DealState['status'];
  title: string;
  account: DealState['account'];
  value: Money;
  triangle: Triangle;
  process: { key: string; version: number };
  stage: null | {
    key: string;
    index: number;
    visit: number;
    name: { en: string; zh: string };
    gate: string | null;
    enteredAt: string;
    dueAt: string | null;
    escalationLevel: number;
    required: RequiredApprover[];
    signoffs: StageVisit['signoffs'];
    waitingOn: { role: Approver; userId: string }[];
    decided: boolean;
    /** The stage's requirements, met or missing, as the workflow knows them (runs since `deal-requires`). */
    requirements?: { requirement: Requirement; label: string; met: boolean }[];
  };
  hold: DealState['hold'];
  seq: number;
  createdAt: string;
  /** Stage visits so far. */
  stages: number;
  /** Set while Postgres refuses or misses the deal's writes (they are kept and retried). */
  fault: { since: string; error: string; seq: number } | null;
  /** The most recent stage visits: in the Query's answer only, not in commands' answers. */
  history?: StageSummary[];
}

/** The live state, as commands answer it (without the visit history: see `dealQueryView`). */
export function dealView(state: DealState): DealView {
  const s = state.stage;
  const def = s ? currentStageDef(state) : null;
  return {
    dealId: state.dealId,
    status: state.status,
    title: state.title,
    account: state.account,
    value: state.value,
    triangle: state.triangle,
    process: state.process,
    stage:
      s && def
        ? {
            key: s.key,
            index: s.index,
            visit: s.visit,
            name: def.name,
            gate: def.gate ?? null,
            enteredAt: s.enteredAt,
            dueAt: s.dueAt,
            escalationLevel: s.escalationLevel,
            required: s.required,
            signoffs: s.signoffs,
            waitingOn: waitingOn(state),
            decided: s.outcome !== null,
            ...(state.gatesAskEvidence && def.requires?.length
              ? {
                  requirements: checkRequirements(def, state.evidence ?? NO_EVIDENCE),
                }
              : {}),
          }
        : null,
    hold: state.hold,
    seq: state.seq,
    createdAt: state.createdAt,
    stages: state.history.length + (state.historyDropped ?? 0),
    fault: state.fault ?? null,
  };
}

/** The live state with its most recent stage visits, as the workflow's Query returns it. */
export function dealQueryView(state: DealState): DealView {
  return { ...dealView(state), history: state.history };
}
