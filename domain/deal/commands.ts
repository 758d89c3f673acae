/**
 * The deal's commands as pure functions: each checks a request against the state, or applies it,
 * changing the state and returning what to write. The workflow registers each command's check and
 * apply together (workflows/deal/commands.ts) and only adds the waiting and the writing.
 */
import { judgesCurrency } from '../process/currencies';
import type { Approver, TriangleRole } from '../process/types';
import { nextEvent, visitKey } from './events';
import {
  type AcceptedSignoff,
  addRequired,
  amendValue,
  applySignoff,
  type CommandRefusal,
  checkActiveOrHeld,
  closeVisit,
  currentStageDef,
  hold,
  type Refusal,
  reassign,
  resume,
  type SignoffRequest,
  waitingOn,
} from './machine';
import { statusNotice, taskNotice } from './notices';
import { managerFollowsAr, rejectTarget, requiredFor, usersOf } from './policy';
import { type DealWrite, emptyWrite } from './records';
import { type Evidence, requirementsHold } from './requirements';
import { approversFor, evaluateGate } from './rules';
import { completionSummary, settle, weightsOf } from './transitions';
import type { DealState, Directory, Money, RequiredApprover, Signoff } from './types';

export interface SignoffOutcome {
  write: DealWrite;
  signed: Signoff;
  gate: 'pending' | 'approved' | 'rejected';
  seq: number;
}

/** Record an accepted sign-off and, when it decides the stage, move the deal on in the same write. */
export function applySignoffCommand(
  state: DealState,
  req: SignoffRequest,
  accepted: AcceptedSignoff,
  directory: Directory,
  now: number,
): SignoffOutcome {
  const stage = state.stage!;
  const gate = applySignoff(
    state,
    { ...accepted, actorId: req.actorId, decision: req.decision, comment: req.comment },
    now,
  );
  const signed = stage.signoffs[stage.signoffs.length - 1];
  const target = req.decision === 'reject' ? rejectTarget(currentStageDef(state)) : undefined;
  const write = emptyWrite();
  const event = nextEvent(
    state,
    {
      type: req.decision === 'approve' ? 'signoff.approved' : 'signoff.rejected',
      key: visitKey(state, `signoff:${signed.role}`),
      data: {
        role: signed.role,
        visit: stage.visit,
        comment: signed.comment ?? null,
        ...(target ? { targetStage: target } : {}),
      },
      actorId: req.actorId,
      onBehalfOfId: signed.userId,
    },
    now,
  );
  write.events.push(event);
  write.signoffs.push({
    stageKey: stage.key,
    visit: stage.visit,
    role: signed.role,
    userId: signed.userId,
    actorId: signed.actorId,
    decision: signed.decision,
    comment: signed.comment ?? null,
    at: signed.at,
  });
  settle(state, directory, now, write);
  return { write, signed, gate, seq: event.seq };
}

export function applyHold(
  state: DealState,
  args: { actorId: string; reason: string },
  now: number,
): DealWrite {
  hold(state, args.reason, now);
  const write = emptyWrite();
  const event = nextEvent(
    state,
    {
      type: 'deal.on_hold',
      key: (seq) => `hold:${seq}`,
      data: { reason: args.reason, remainingMs: state.hold?.remainingMs ?? null },
      actorId: args.actorId,
    },
    now,
  );
  write.events.push(event);
  write.notify.push(statusNotice(state, 'deal.on_hold', `hold:${event.seq}`, { reason: args.reason }));
  return write;
}

export function applyResume(state: DealState, args: { actorId: string }, now: number): DealWrite {
  const { heldMs } = resume(state, now);
  const write = emptyWrite();
  const event = nextEvent(
    state,
    {
      type: 'deal.resumed',
      key: (seq) => `resume:${seq}`,
      data: { heldMs, dueAt: state.stage?.dueAt ?? null },
      actorId: args.actorId,
    },
    now,
  );
  write.events.push(event);
  write.notify.push(statusNotice(state, 'deal.resumed', `resume:${event.seq}`, {}));
  return write;
}

/**
 * Give a triangle role to another user: they can sign at once, the old holder no longer can. A
 * `manager` approval still pending follows a new AR (`directory` must be resolved for the new AR).
 */
export function applyReassign(
  state: DealState,
  args: { actorId: string; role: TriangleRole; userId: string; reason: string },
  directory: Directory,
  now: number,
): DealWrite {
  const follows = managerFollowsAr(state, args.role);
  const { from } = reassign(state, args.role, args.userId, now);
  const manager = state.stage?.required.find((r) => r.approver === 'manager');
  if (follows && manager) {
    const users = usersOf('manager', state.triangle, directory);
    if (users.length) {
      manager.userIds = users;
      delete manager.standIn;
    } else {
      manager.userIds = [...directory.ops];
      manager.standIn = true;
    }
  }
  const write = emptyWrite();
  const data = { role: args.role, from, to: args.userId, reason: args.reason };
  const event = nextEvent(
    state,
    { type: 'role.reassigned', key: (seq) => `reassign:${seq}`, data, actorId: args.actorId },
    now,
  );
  write.events.push(event);
  write.notify.push(statusNotice(state, 'role.reassigned', `reassign:${event.seq}`, data));
  const waits = waitingOn(state).some((w) => w.userId === args.userId && w.role === args.role);
  if (waits) {
    write.notify.push(
      ...taskNotice(state, 'role.reassigned', `reassign:${event.seq}`, [args.userId], { role: args.role }),
    );
  }
  settle(state, directory, now, write);
  return write;
}

/** Who may remove an approver that has not signed yet: ops (`any`), or managers above its users. */
export type RemovalAuthority = 'any' | string[];

/** The approvers an amend to `value` would add, and those it would remove that have not signed. */
export function amendPreview(
  state: DealState,
  value: Money,
): { added: Approver[]; removedUnsigned: RequiredApprover[] } {
  const stage = state.stage;
  if (!stage) return { added: [], removedUnsigned: [] };
  const wanted = approversFor(currentStageDef(state), value);
  const added = wanted.filter((w) => !stage.required.some((r) => r.approver === w.approver));
  const signed = new Set(stage.signoffs.map((s) => s.role));
  const removedUnsigned = stage.required.filter(
    (r) => r.conditional && !wanted.some((w) => w.approver === r.approver) && !signed.has(r.approver),
  );
  return { added: added.map((a) => a.approver), removedUnsigned };
}

export function checkAmendCommand(
  state: DealState,
  args: { value: Money; mayRemove?: RemovalAuthority },
): CommandRefusal | null {
  const r = checkActiveOrHeld(state);
  if (r) return r;
  if (
    args.value.currency !== state.value.currency &&
    !judgesCurrency(state.definition, args.value.currency)
  ) {
    // Its value thresholds would not apply: the deal would skip approvers it needs.
    return {
      code: 'invalid',
      message: `The deal's process cannot judge a value in ${args.value.currency}`,
      field: 'value.currency',
    };
  }
  const authority = args.mayRemove ?? [];
  if (authority === 'any') return null;
  const { removedUnsigned } = amendPreview(state, args.value);
  const beyond = removedUnsigned.filter((a) => a.userIds.some((u) => !authority.includes(u)));
  if (beyond.length) {
    return {
      code: 'forbidden',
      message: `This amend would remove ${beyond.map((a) => a.approver).join(', ')}, who has not signed yet; only ops or a manager above them may do that`,
      field: 'value',
    };
  }
  return null;
}

/**
 * Amend the deal value: conditional approvers follow the new value (added ones are filled from the
 * directory at once), removed approvers who had not signed are told, and the gate is re-evaluated,
 * which may move the deal on.
 */
export function applyAmend(
  state: DealState,
  args: { actorId: string; value: Money },
  directory: Directory,
  now: number,
): DealWrite {
  const from = state.value;
  const { removedUnsigned } = amendPreview(state, args.value);
  const { added, removed } = amendValue(state, args.value, now);
  let addedUsers: string[] = [];
  if (added.length && state.stage) {
    const filled = requiredFor(currentStageDef(state), args.value, state.triangle, directory).filter((a) =>
      added.includes(a.approver),
    );
    addRequired(state, filled, now);
    addedUsers = filled.flatMap((a) => a.userIds);
  }
  const removedUsers = [...new Set(removedUnsigned.flatMap((a) => a.userIds))];
  const write = emptyWrite();
  const event = nextEvent(
    state,
    {
      type: 'deal.amended',
      key: (seq) => `amend:${seq}`,
      data: {
        from,
        to: args.value,
        addedApprovers: added,
        removedApprovers: removed,
        ...(removedUnsigned.length
          ? { removedUnsigned: removedUnsigned.map((a) => ({ approver: a.approver, userIds: a.userIds })) }
          : {}),
      },
      actorId: args.actorId,
    },
    now,
  );
  write.events.push(event);
  write.notify.push(...taskNotice(state, 'deal.amended', `amend:${event.seq}`, addedUsers));
  if (removedUsers.length) {
    write.notify.push({
      ...statusNotice(state, 'deal.amended', `amend:${event.seq}:removed`, { removedApprovers: removed }),
      userIds: removedUsers,
    });
  }
  settle(state, directory, now, write);
  return write;
}

export function applyCancel(
  state: DealState,
  args: { actorId: string; reason: string },
  now: number,
): DealWrite {
  const notice = statusNotice(state, 'deal.cancelled', 'cancelled', { reason: args.reason });
  const summary = state.stage ? closeVisit(state, now, true) : undefined;
  state.status = 'cancelled';
  state.hold = null;
  const write = emptyWrite();
  write.events.push(
    nextEvent(
      state,
      {
        type: 'deal.cancelled',
        key: 'deal:cancelled',
        data: { reason: args.reason, stage: summary?.key ?? null, summary: completionSummary(state) },
        actorId: args.actorId,
      },
      now,
    ),
  );
  write.notify.push(notice);
  if (summary) write.stageVisits.push({ ...summary, weights: weightsOf(state, summary.key) });
  return write;
}

export type { Refusal };

/**
 * The deal's evidence changed (an attachment, a contact, a field): keep the newer snapshot and, when
 * the current stage's sign-offs already pass its gate and its requirements now hold, complete it at
 * once and move on. Nothing to write when the stage still waits.
 */
export function applyEvidence(
  state: DealState,
  evidence: Evidence,
  directory: Directory,
  now: number,
): DealWrite {
  const write = emptyWrite();
  if (state.evidence && state.evidence.at > evidence.at) return write;
  state.evidence = evidence;
  const stage = state.stage;
  if (!stage || stage.outcome || state.status !== 'active') return write;
  const def = currentStageDef(state);
  if (evaluateGate(def, stage.required, stage.signoffs) !== 'approved' || !requirementsHold(state, def))
    return write;
  stage.outcome = { kind: 'approved', by: 'signers', at: new Date(now).toISOString() };
  settle(state, directory, now, write);
  return write;
}
