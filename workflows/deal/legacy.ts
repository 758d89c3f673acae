/**
 * FROZEN: the deal workflow as released before the `deal-v3` patch (see ./index.ts). It runs only
 * deals whose history was started by that code, so that they replay exactly; every deal started
 * since runs ./run.ts. Do not change what this code schedules (activities, timers, their order):
 * that is what replay checks. Delete this file, and the `patched` call in ./index.ts (after a
 * release with `deprecatePatch`), once no run started before the patch remains open.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  DealActivities,
  DealEventType,
  DealProjection,
  EventRecord,
  NotifyIntent,
  RecordInput,
  StageVisitRow,
} from '../../activities/types';
import {
  addRequired,
  amendValue,
  applySignoff,
  autoDecide,
  type CommandRefusal,
  checkActiveOrHeld,
  checkHold,
  checkReassign,
  checkResume,
  checkSignoff,
  closeVisit,
  currentStageDef,
  dealView,
  enterStage,
  hold,
  initialState,
  isTerminal,
  pendingUserIds,
  type Refusal,
  reassign,
  resume,
  SYSTEM_ACTOR,
  transitionAfter,
  waitingOn,
} from '../../domain/deal/machine';
import { approversFor } from '../../domain/deal/rules';
import { pauseClock, type SlaAction, slaStep } from '../../domain/deal/sla';
import type { DealResult, DealState, RequiredApprover } from '../../domain/deal/types';
import { TRIANGLE_ROLES } from '../../domain/process/types';
import {
  amendUpdate,
  cancelUpdate,
  type DealWorkflowArgs,
  dealQuery,
  holdUpdate,
  REFUSAL_FAILURE_TYPE,
  readyUpdate,
  reassignUpdate,
  resumeUpdate,
  signoffUpdate,
} from '../messages';
import { LtcDueAt, LtcPendingUsers, LtcProcess, LtcStage, LtcStatus, LtcValue } from '../search-attributes';

/**
 * The hot path: a command Update (sign-off, hold, ...) answers only once its write is in Postgres, so
 * that write runs as a local activity inside the Update: no round trip through the task queue.
 */
const local = proxyLocalActivities<DealActivities>({
  startToCloseTimeout: '15s',
  retry: {
    initialInterval: '200ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: ['InvalidDealData'],
  },
});

/**
 * Everything the deal does by itself (entering a stage, reminders, escalations, moving on) writes
 * through regular activities, so an Update that completes a stage is answered at once and the
 * transition follows. Retried until Postgres answers: no write is dropped.
 */
const remote = proxyActivities<DealActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['InvalidDealData'],
  },
});

/** A write prepared but not yet run (a stage exit waiting to go out with the next entry). */
interface PendingWrite {
  events: EventRecord[];
  notify: NotifyIntent[];
  stageVisit?: StageVisitRow;
}

export async function legacyDealWorkflow(args: DealWorkflowArgs): Promise<DealResult> {
  const options = args.options ?? {};
  const state: DealState = 'start' in args ? initialState(args.start) : args.carried;
  const def = state.definition;
  /** Bumped whenever the SLA schedule changes (entry, hold, resume) so the wait re-arms its timer. */
  let clock = 0;
  let transitionsThisRun = 0;
  let lastSearchAttributes = '';
  /** True once the first stage entry is written (a continued run starts ready). */
  let ready = !('start' in args);

  // ------------------------------------------------------------------------------------------
  // Writing: every change goes to the timeline with the next sequence number
  // ------------------------------------------------------------------------------------------

  function event(
    type: DealEventType,
    key: string,
    data: Record<string, unknown>,
    actorId = SYSTEM_ACTOR,
    onBehalfOfId: string | null = null,
  ): EventRecord {
    state.seq += 1;
    const stage = state.stage?.key ?? (data.stage as string | undefined) ?? null;
    return {
      seq: state.seq,
      key,
      type,
      at: new Date().toISOString(),
      stage,
      actorId,
      onBehalfOfId: onBehalfOfId && onBehalfOfId !== actorId ? onBehalfOfId : null,
      data,
    };
  }

  function visitKey(suffix: string): string {
    const s = state.stage;
    return s ? `${s.key}:${s.visit}:${suffix}` : `deal:${suffix}`;
  }

  function projection(): DealProjection {
    const s = state.stage;
    return {
      projectionSeq: state.seq,
      status: state.status,
      value: state.value,
      triangle: { ...state.triangle },
      stageKey: s?.key ?? null,
      stageIndex: s?.index ?? null,
      stageVisit: s?.visit ?? null,
      stageEnteredAt: s?.enteredAt ?? null,
      dueAt: s?.dueAt ?? null,
      escalationLevel: s?.escalationLevel ?? 0,
      required: s?.required ?? [],
      waitingOn: waitingOn(state),
      pendingUserIds: pendingUserIds(state),
      // Signers beyond the triangle (the AR's manager, group members, ops standing in) keep seeing
      // the deal; triangle visibility follows the current holders.
      participantIds: [
        ...new Set(
          (s?.required ?? [])
            .filter((r) => !(TRIANGLE_ROLES as readonly string[]).includes(r.approver))
            .flatMap((r) => r.userIds),
        ),
      ].sort(),
      closedAt: isTerminal(state) ? new Date().toISOString() : null,
    };
  }

  /** Build the write synchronously (a snapshot at this seq), then run it. */
  function record(
    events: EventRecord[],
    extra: Omit<RecordInput, 'dealId' | 'events' | 'deal'> = {},
    via: DealActivities = remote,
  ): Promise<unknown> {
    return via.recordDeal({ dealId: state.dealId, events, deal: projection(), ...extra });
  }

  /** An Update's write: a local activity, so the Update answers once it is in Postgres. */
  function recordNow(events: EventRecord[], extra: Omit<RecordInput, 'dealId' | 'events' | 'deal'> = {}) {
    return record(events, extra, local);
  }

  function triangleIds(): string[] {
    return [...new Set(TRIANGLE_ROLES.map((r) => state.triangle[r]))];
  }

  function notifyContext(): Record<string, unknown> {
    const s = state.stage;
    return {
      dealTitle: state.title,
      accountName: state.account.name,
      stage: s?.key ?? null,
      stageName: s ? currentStageDef(state).name : null,
      dueAt: s?.dueAt ?? null,
    };
  }

  function statusNotice(
    eventType: DealEventType,
    dedupe: string,
    data: Record<string, unknown>,
  ): NotifyIntent {
    return {
      kind: 'status',
      event: eventType,
      dedupe,
      userIds: triangleIds(),
      stage: state.stage?.key ?? null,
      data: { ...notifyContext(), ...data },
    };
  }

  function syncSearchAttributes(): void {
    const s = state.stage;
    const pending = pendingUserIds(state);
    const snapshot = JSON.stringify([state.status, s?.key, s?.dueAt, pending, state.value.amount]);
    if (snapshot === lastSearchAttributes) return;
    lastSearchAttributes = snapshot;
    upsertSearchAttributes([
      { key: LtcStatus, value: state.status },
      { key: LtcStage, value: s?.key ?? null },
      { key: LtcPendingUsers, value: pending.length ? pending : null },
      { key: LtcDueAt, value: s?.dueAt ? new Date(s.dueAt) : null },
      { key: LtcValue, value: state.value.amount },
      { key: LtcProcess, value: `${state.process.key}@${state.process.version}` },
    ]);
  }

  function refuse(r: Refusal | CommandRefusal): never {
    throw ApplicationFailure.create({
      type: REFUSAL_FAILURE_TYPE,
      message: r.message,
      details: [{ code: r.code, ...('field' in r && r.field ? { field: r.field } : {}) }],
      nonRetryable: true,
    });
  }

  function refuseIf(r: CommandRefusal | null): void {
    if (r) refuse(r);
  }

  /** Map resolved approvers' triangle roles to the current holders (a reassignment may have raced). */
  function withCurrentHolders(required: RequiredApprover[]): RequiredApprover[] {
    return required.map((r) =>
      r.approver === 'AR' || r.approver === 'SR' || r.approver === 'FR'
        ? { ...r, userIds: [state.triangle[r.approver]] }
        : r,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Messages
  // ------------------------------------------------------------------------------------------

  setHandler(dealQuery, () => dealView(state));

  setHandler(readyUpdate, async () => {
    await condition(() => ready || isTerminal(state));
    return dealView(state);
  });

  setHandler(
    signoffUpdate,
    async (req) => {
      const checked = checkSignoff(state, req);
      if (!checked.ok) refuse(checked.refusal);
      const stage = state.stage!;
      const gate = applySignoff(
        state,
        { ...checked.signoff, actorId: req.actorId, decision: req.decision, comment: req.comment },
        Date.now(),
      );
      const signed = stage.signoffs[stage.signoffs.length - 1];
      const type = req.decision === 'approve' ? 'signoff.approved' : 'signoff.rejected';
      const target = req.decision === 'reject' ? (currentStageDef(state).onReject ?? 'lost') : undefined;
      const ev = event(
        type,
        visitKey(`signoff:${signed.role}`),
        {
          role: signed.role,
          visit: stage.visit,
          comment: signed.comment ?? null,
          ...(target ? { targetStage: target } : {}),
        },
        req.actorId,
        signed.userId,
      );
      await recordNow([ev], {
        signoff: {
          stageKey: stage.key,
          visit: stage.visit,
          role: signed.role,
          userId: signed.userId,
          actorId: signed.actorId,
          decision: signed.decision,
          comment: signed.comment ?? null,
          at: signed.at,
        },
      });
      syncSearchAttributes();
      return {
        role: signed.role,
        userId: signed.userId,
        actorId: signed.actorId,
        decision: signed.decision,
        gate,
        seq: ev.seq,
      };
    },
    {
      validator: (req) => {
        const checked = checkSignoff(state, req);
        if (!checked.ok) refuse(checked.refusal);
      },
    },
  );

  setHandler(
    holdUpdate,
    async ({ actorId, reason }) => {
      const r = checkHold(state);
      if (r) refuse(r);
      hold(state, reason, Date.now());
      clock++;
      const ev = event(
        'deal.on_hold',
        `hold:${state.seq + 1}`,
        { reason, remainingMs: state.hold?.remainingMs ?? null },
        actorId,
      );
      await recordNow([ev], { notify: [statusNotice('deal.on_hold', `hold:${ev.seq}`, { reason })] });
      syncSearchAttributes();
      return dealView(state);
    },
    { validator: (_args) => refuseIf(checkHold(state)) },
  );

  setHandler(
    resumeUpdate,
    async ({ actorId }) => {
      const r = checkResume(state);
      if (r) refuse(r);
      const { heldMs } = resume(state, Date.now());
      clock++;
      const ev = event(
        'deal.resumed',
        `resume:${state.seq + 1}`,
        { heldMs, dueAt: state.stage?.dueAt ?? null },
        actorId,
      );
      await recordNow([ev], { notify: [statusNotice('deal.resumed', `resume:${ev.seq}`, {})] });
      syncSearchAttributes();
      return dealView(state);
    },
    { validator: (_args) => refuseIf(checkResume(state)) },
  );

  setHandler(
    reassignUpdate,
    async ({ actorId, role, userId, reason }) => {
      const r = checkReassign(state, role, userId);
      if (r) refuse(r);
      const { from } = reassign(state, role, userId, Date.now());
      const stage = state.stage;
      const manager = stage?.required.find((r) => r.approver === 'manager');
      if (role === 'AR' && stage && manager && !stage.signoffs.some((s) => s.role === 'manager')) {
        // `manager` is the manager of the deal's AR: follow the new AR. Until resolved, nobody can
        // sign it (the old AR's manager no longer may).
        manager.userIds = [];
        const [resolved] = await local.resolveApprovers({
          dealId: state.dealId,
          triangle: state.triangle,
          approvers: [{ approver: 'manager', conditional: manager.conditional }],
        });
        if (state.stage === stage && !stage.outcome) {
          manager.userIds = resolved.userIds;
          if (resolved.standIn) manager.standIn = true;
        }
      }
      const ev = event(
        'role.reassigned',
        `reassign:${state.seq + 1}`,
        { role, from, to: userId, reason },
        actorId,
      );
      const notify: NotifyIntent[] = [
        statusNotice('role.reassigned', `reassign:${ev.seq}`, { role, from, to: userId, reason }),
      ];
      if (waitingOn(state).some((w) => w.userId === userId && w.role === role)) {
        notify.push({
          kind: 'task',
          event: 'role.reassigned',
          dedupe: `reassign:${ev.seq}`,
          userIds: [userId],
          stage: state.stage?.key ?? null,
          data: { ...notifyContext(), role },
        });
      }
      await recordNow([ev], { notify });
      syncSearchAttributes();
      return dealView(state);
    },
    { validator: ({ role, userId }) => refuseIf(checkReassign(state, role, userId)) },
  );

  setHandler(
    amendUpdate,
    async ({ actorId, value }) => {
      const r = checkActiveOrHeld(state);
      if (r) refuse(r);
      const from = state.value;
      const at = state.stage ? { key: state.stage.key, visit: state.stage.visit } : null;
      const { added, removed } = amendValue(state, value, Date.now());
      // On the timeline at the moment it applies (the approvers' users are resolved below).
      const ev = event(
        'deal.amended',
        `amend:${state.seq + 1}`,
        { from, to: value, addedApprovers: added, removedApprovers: removed },
        actorId,
      );
      let resolved: RequiredApprover[] = [];
      if (added.length && at) {
        const wanted = approversFor(currentStageDef(state), value).filter((a) => added.includes(a.approver));
        resolved = await local.resolveApprovers({
          dealId: state.dealId,
          triangle: state.triangle,
          approvers: wanted,
        });
        const s = state.stage;
        if (s && s.key === at.key && s.visit === at.visit && !s.outcome)
          addRequired(state, withCurrentHolders(resolved), Date.now());
        else resolved = [];
      }
      const notify: NotifyIntent[] = resolved.length
        ? [
            {
              kind: 'task',
              event: 'deal.amended',
              dedupe: `amend:${ev.seq}`,
              userIds: [...new Set(resolved.flatMap((x) => x.userIds))],
              stage: state.stage?.key ?? null,
              data: notifyContext(),
            },
          ]
        : [];
      await recordNow([ev], { notify });
      syncSearchAttributes();
      return dealView(state);
    },
    {
      validator: ({ value }) => {
        const r = checkActiveOrHeld(state);
        if (r) refuse(r);
        if (!(value.amount >= 0)) refuse({ code: 'invalid', message: 'value.amount must not be negative' });
      },
    },
  );

  setHandler(
    cancelUpdate,
    async ({ actorId, reason }) => {
      const r = checkActiveOrHeld(state);
      if (r) refuse(r);
      const notice = statusNotice('deal.cancelled', 'cancelled', { reason });
      const now = Date.now();
      const summary = state.stage ? closeVisit(state, now, true) : undefined;
      state.status = 'cancelled';
      state.hold = null;
      const ev = event(
        'deal.cancelled',
        'deal:cancelled',
        { reason, stage: summary?.key ?? null, summary: completionSummary() },
        actorId,
      );
      await recordNow([ev], {
        notify: [notice],
        ...(summary ? { stageVisit: { ...summary, weights: weightsOf(summary.key) } } : {}),
      });
      syncSearchAttributes();
      return dealView(state);
    },
    { validator: (_args) => refuseIf(checkActiveOrHeld(state)) },
  );

  /** The summary a finished deal records: per stage visit, entry and exit, duration, escalations, signers. */
  function completionSummary() {
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

  function weightsOf(stageKey: string) {
    return def.stages.find((s) => s.key === stageKey)?.weights ?? {};
  }

  // ------------------------------------------------------------------------------------------
  // Stages
  // ------------------------------------------------------------------------------------------

  /** Enter stage `index`, writing the previous stage's exit (`carried`) in the same activity. */
  async function enter(index: number, carried?: PendingWrite): Promise<void> {
    const stageDefinition = def.stages[index];
    let required: RequiredApprover[];
    for (;;) {
      // An amend (value) or a new AR (their manager) while resolving: resolve again.
      const value = state.value;
      const ar = state.triangle.AR;
      required = await remote.resolveApprovers({
        dealId: state.dealId,
        triangle: state.triangle,
        approvers: approversFor(stageDefinition, value),
      });
      if (isTerminal(state) || (state.value === value && state.triangle.AR === ar)) break;
    }
    if (isTerminal(state)) {
      // Cancelled while resolving: the previous stage's exit is still written.
      if (carried) await flush(carried);
      return;
    }
    const now = Date.now();
    const visit = enterStage(state, index, withCurrentHolders(required), now);
    if (state.status === 'on_hold' && state.hold) {
      state.hold.remainingMs = pauseClock(visit, now);
      visit.dueAt = null;
    }
    clock++;
    transitionsThisRun++;
    const unresolved = visit.required.filter((r) => r.userIds.length === 0).map((r) => r.approver);
    const standIns = visit.required.filter((r) => r.standIn).map((r) => r.approver);
    const ev = event('stage.entered', visitKey('entered'), {
      visit: visit.visit,
      index,
      dueAt: visit.dueAt,
      required: visit.required.map((r) => ({ approver: r.approver, userIds: r.userIds })),
      ...(unresolved.length ? { unresolved } : {}),
      ...(standIns.length ? { opsStandIn: standIns } : {}),
    });
    const pending = pendingUserIds(state);
    const tasks: NotifyIntent[] = pending.length
      ? [
          {
            kind: 'task',
            event: 'stage.entered',
            dedupe: visitKey('task'),
            userIds: pending,
            stage: visit.key,
            data: { ...notifyContext(), waitingOn: waitingOn(state) },
          },
        ]
      : [];
    await record([...(carried?.events ?? []), ev], {
      notify: [...(carried?.notify ?? []), ...tasks],
      ...(carried?.stageVisit ? { stageVisit: carried.stageVisit } : {}),
    });
    syncSearchAttributes();
  }

  async function fire(action: SlaAction): Promise<void> {
    const stage = state.stage!;
    if (action.kind === 'reminder') {
      const pending = pendingUserIds(state);
      const ev = event('stage.reminder', visitKey(`reminder:${action.index}`), {
        visit: stage.visit,
        index: action.index,
        timeLeftMs: action.timeLeftMs,
        dueAt: stage.dueAt,
        notified: pending,
      });
      await record([ev], {
        notify: [
          {
            kind: 'reminder',
            event: 'stage.reminder',
            dedupe: visitKey(`reminder:${action.index}`),
            userIds: pending,
            stage: stage.key,
            data: { ...notifyContext(), timeLeftMs: action.timeLeftMs },
          },
        ],
      });
      return;
    }
    stage.escalationLevel = action.level;
    const pending = pendingUserIds(state);
    const waiting = waitingOn(state);
    const targets = await remote.resolveEscalationTargets({
      dealId: state.dealId,
      triangle: state.triangle,
      targets: action.def.notify,
      pendingUserIds: pending,
    });
    // The deal may have moved while the targets were resolved.
    if (state.stage !== stage || isTerminal(state)) return; // left, or cancelled
    if (stage.outcome) return; // decided meanwhile: nobody to escalate to any more
    if (state.status === 'on_hold') {
      stage.escalationLevel = action.level - 1; // fires again, if still due, once resumed
      return;
    }
    const events = [
      event('stage.escalated', visitKey(`escalated:${action.level}`), {
        visit: stage.visit,
        level: action.level,
        targets: action.def.notify,
        notified: targets,
        waitingOn: waiting,
        dueAt: stage.dueAt,
      }),
    ];
    if (action.def.action && !stage.outcome) {
      autoDecide(state, action.def.action, action.level, Date.now());
      events.push(
        event('stage.auto_decided', visitKey('auto_decided'), {
          visit: stage.visit,
          level: action.level,
          decision: action.def.action,
          ...(action.def.action === 'reject'
            ? { targetStage: currentStageDef(state).onReject ?? 'lost' }
            : {}),
        }),
      );
    }
    await record(events, {
      notify: [
        {
          kind: 'escalation',
          event: 'stage.escalated',
          dedupe: visitKey(`escalated:${action.level}`),
          userIds: targets,
          stage: stage.key,
          data: { ...notifyContext(), level: action.level, waitingOn: waiting },
        },
      ],
    });
  }

  /** The current stage is decided: close the visit and move on, complete or lose the deal. */
  /**
   * The current stage is decided: close the visit and work out where the deal goes. The write is
   * returned, not run, when the deal enters another stage: `enter` records both in one activity.
   */
  async function finishStage(): Promise<{ next: number; write: PendingWrite } | { next: null; write: null }> {
    const visit = state.stage!;
    const outcome = visit.outcome!;
    const transition = transitionAfter(def, visit);
    const context = notifyContext();
    const summary = closeVisit(state, Date.now());
    const next = transition.kind === 'enter' ? def.stages[transition.index].key : null;
    const events = [
      event('stage.completed', `${summary.key}:${summary.visit}:completed`, {
        stage: summary.key,
        visit: summary.visit,
        outcome: summary.outcome,
        durationMs: summary.durationMs,
        escalations: summary.escalations,
        nextStage: transition.kind === 'enter' ? next : transition.kind,
        ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}),
      }),
    ];
    const notify: NotifyIntent[] = [
      {
        kind: 'decision',
        event: outcome.kind === 'rejected' ? 'signoff.rejected' : 'stage.completed',
        dedupe: `${summary.key}:${summary.visit}:decision`,
        userIds: triangleIds(),
        stage: summary.key,
        data: {
          ...context,
          decision: outcome.kind === 'approved' ? 'approve' : 'reject',
          ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}),
          targetStage: next,
          targetStageName: next ? def.stages[transition.kind === 'enter' ? transition.index : 0].name : null,
        },
      },
    ];
    if (transition.kind === 'complete' || transition.kind === 'lost') {
      state.status = transition.kind === 'complete' ? 'completed' : 'lost';
      const type = transition.kind === 'complete' ? 'deal.completed' : 'deal.lost';
      events.push(
        event(type, `deal:${state.status}`, {
          stage: summary.key,
          stages: state.history.length,
          summary: completionSummary(),
          ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}),
        }),
      );
      notify.push(
        statusNotice(type, state.status, {
          ...context,
          ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}),
        }),
      );
    }
    const write: PendingWrite = {
      events,
      notify,
      stageVisit: { ...summary, weights: weightsOf(summary.key) },
    };
    if (transition.kind === 'enter') return { next: transition.index, write };
    await flush(write);
    syncSearchAttributes();
    return { next: null, write: null };
  }

  function flush(w: PendingWrite): Promise<unknown> {
    return record(w.events, { notify: w.notify, stageVisit: w.stageVisit });
  }

  // ------------------------------------------------------------------------------------------
  // Main loop
  // ------------------------------------------------------------------------------------------

  let enterIndex: number | null = null;
  if ('start' in args) {
    const ev = event(
      'deal.created',
      'deal:created',
      {
        title: state.title,
        value: state.value,
        triangle: state.triangle,
        process: state.process,
      },
      state.createdBy,
    );
    await record([ev]);
    enterIndex = 0;
  } else {
    enterIndex = args.enterIndex;
  }
  syncSearchAttributes();
  if (enterIndex !== null && !isTerminal(state)) await enter(enterIndex);
  ready = true;

  while (!isTerminal(state)) {
    const stage = state.stage;
    if (!stage) {
      // Only reachable if a stage entry was interrupted; nothing to wait on.
      await condition(() => isTerminal(state) || state.stage !== null);
      continue;
    }
    if (stage.outcome) {
      const { next, write } = await finishStage();
      if (next === null) break;
      if (shouldContinueAsNew()) {
        await flush(write);
        await condition(allHandlersFinished);
        return continueAsNew<typeof legacyDealWorkflow>({ carried: state, enterIndex: next, options });
      }
      await enter(next, write);
      continue;
    }
    if (state.status === 'on_hold') {
      const seen = clock;
      await condition(() => clock !== seen || isTerminal(state) || stage !== state.stage);
      continue;
    }
    const step = slaStep(currentStageDef(state), stage, Date.now());
    stage.remindersSent = step.remindersSent;
    if (step.fire.length) {
      for (const action of step.fire) {
        if (stage.outcome || state.stage !== stage || state.status !== 'active') break;
        await fire(action);
      }
      syncSearchAttributes();
      continue;
    }
    const seen = clock;
    const wake = () =>
      stage.outcome !== null || state.stage !== stage || state.status !== 'active' || clock !== seen;
    if (step.next) await condition(wake, Math.max(1, step.next.at - Date.now()));
    else await condition(wake);
  }

  await condition(allHandlersFinished);
  return { dealId: state.dealId, status: state.status, stages: state.history };

  function shouldContinueAsNew(): boolean {
    if (workflowInfo().continueAsNewSuggested) return true;
    return options.maxTransitionsPerRun !== undefined && transitionsThisRun >= options.maxTransitionsPerRun;
  }
}
