/**
 * Moving a deal between stages, as pure functions that change the state and add what changed to a
 * write: entering a stage, and leaving a decided one for the next stage, completion or loss.
 * Commands and the SLA clock call `settle` after any change that may decide the current stage, so
 * a command that moves the deal answers with the deal already in its next stage.
 */
import { nextEvent, visitKey } from './events';
import { closeVisit, currentStageDef, enterStage, isTerminal, transitionAfter } from './machine';
import { decisionNotice, entryTasks, noticeContext, statusNotice, taskNotice } from './notices';
import { requiredFor } from './policy';
import type { DealWrite } from './records';
import { isTriangleRole } from './rules';
import { pauseClock } from './sla';
import type { DealState, Directory, StageVisit } from './types';

/** Enter stage `index` with approvers from the directory: a new visit, `stage.entered`, the tasks. */
export function enter(
  state: DealState,
  index: number,
  directory: Directory,
  now: number,
  out: DealWrite,
): StageVisit {
  const def = state.definition.stages[index];
  const visit = enterStage(state, index, requiredFor(def, state.value, state.triangle, directory), now);
  if (state.status === 'on_hold' && state.hold) {
    // Entered while held (an amend decided the stage): the clock starts paused.
    state.hold.remainingMs = pauseClock(visit, now);
    visit.dueAt = null;
  }
  const unresolved = visit.required.filter((r) => r.userIds.length === 0).map((r) => r.approver);
  const standIns = visit.required.filter((r) => r.standIn).map((r) => r.approver);
  out.events.push(
    nextEvent(
      state,
      {
        type: 'stage.entered',
        key: visitKey(state, 'entered'),
        data: {
          visit: visit.visit,
          index,
          dueAt: visit.dueAt,
          required: visit.required.map((r) => ({ approver: r.approver, userIds: r.userIds })),
          ...(unresolved.length ? { unresolved } : {}),
          ...(standIns.length ? { opsStandIn: standIns } : {}),
        },
      },
      now,
    ),
  );
  out.notify.push(...entryTasks(state, visitKey(state, 'task')));
  return visit;
}

/** The per-visit summary a finished deal records (the most recent visits: see `history`). */
export function completionSummary(state: DealState) {
  return state.history.map((h) => ({
    stage: h.key,
    visit: h.visit,
    enteredAt: h.enteredAt,
    exitedAt: h.exitedAt,
    durationMs: h.durationMs,
    outcome: h.outcome,
    escalations: h.escalations,
    signers: h.signers,
  }));
}

export function weightsOf(state: DealState, stageKey: string) {
  return state.definition.stages.find((s) => s.key === stageKey)?.weights ?? {};
}

/**
 * If the current stage is decided, leave it: close the visit and enter the next stage (or the
 * rejection's target), or end the deal as completed or lost. Returns whether the deal moved.
 */
export function settle(state: DealState, directory: Directory, now: number, out: DealWrite): boolean {
  const visit = state.stage;
  if (!visit?.outcome) return false;
  const outcome = visit.outcome;
  const transition = transitionAfter(state.definition, visit);
  const context = noticeContext(state);
  const summary = closeVisit(state, now);
  const next = transition.kind === 'enter' ? state.definition.stages[transition.index] : null;
  const reason = outcome.kind === 'rejected' ? { reason: outcome.reason } : {};
  out.events.push(
    nextEvent(
      state,
      {
        type: 'stage.completed',
        key: `${summary.key}:${summary.visit}:completed`,
        data: {
          stage: summary.key,
          visit: summary.visit,
          outcome: summary.outcome,
          durationMs: summary.durationMs,
          escalations: summary.escalations,
          nextStage: next ? next.key : transition.kind,
          ...reason,
        },
      },
      now,
    ),
  );
  out.notify.push(
    decisionNotice(
      state,
      context,
      summary,
      outcome.kind === 'rejected' ? { kind: 'rejected', reason: outcome.reason } : { kind: 'approved' },
      next ? { key: next.key, name: next.name } : null,
    ),
  );
  out.stageVisits.push({ ...summary, weights: weightsOf(state, summary.key) });
  if (transition.kind === 'enter') {
    enter(state, transition.index, directory, now, out);
    return true;
  }
  state.status = transition.kind === 'complete' ? 'completed' : 'lost';
  const type = transition.kind === 'complete' ? 'deal.completed' : 'deal.lost';
  out.events.push(
    nextEvent(
      state,
      {
        type,
        key: `deal:${state.status}`,
        data: {
          stage: summary.key,
          stages: state.history.length + (state.historyDropped ?? 0),
          summary: completionSummary(state),
          ...reason,
        },
      },
      now,
    ),
  );
  out.notify.push(statusNotice(state, type, state.status, { ...context, ...reason }));
  return true;
}

/**
 * The directory was looked up again: approvers of the current stage that nobody has signed yet and
 * that are not triangle roles (the AR's manager, groups, ops standing in) follow the org chart as it
 * is now. Records `stage.approvers_updated` and tells the new users, when anything changed.
 */
export function refreshApprovers(state: DealState, directory: Directory, now: number): DealWrite {
  const out: DealWrite = { events: [], signoffs: [], stageVisits: [], notify: [] };
  const stage = state.stage;
  if (!stage || stage.outcome || isTerminal(state)) return out;
  const signed = new Set(stage.signoffs.map((s) => s.role));
  const fresh = requiredFor(currentStageDef(state), state.value, state.triangle, directory);
  const changes: { approver: string; from: string[]; to: string[] }[] = [];
  for (const r of stage.required) {
    if (signed.has(r.approver) || isTriangleRole(r.approver)) continue;
    const current = fresh.find((f) => f.approver === r.approver);
    if (!current || sameUsers(current.userIds, r.userIds)) continue;
    changes.push({ approver: r.approver, from: r.userIds, to: current.userIds });
    r.userIds = current.userIds;
    if (current.standIn) r.standIn = true;
    else delete r.standIn;
  }
  if (changes.length === 0) return out;
  out.events.push(
    nextEvent(
      state,
      {
        type: 'stage.approvers_updated',
        key: (seq) => `approvers:${seq}`,
        data: { visit: stage.visit, changes },
      },
      now,
    ),
  );
  const added = changes.flatMap((c) => c.to.filter((u) => !c.from.includes(u)));
  out.notify.push(...taskNotice(state, 'stage.approvers_updated', `approvers:${state.seq}`, added));
  return out;
}

function sameUsers(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\u0001') === [...b].sort().join('\u0001');
}
