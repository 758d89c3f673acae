/**
 * The deal's commands (Workflow Updates). Each is registered once through `command()`, which puts
 * its argument check and state check in the validator (a refused command leaves no history) and
 * runs the same checks again, then the change and its write, under the deal's lock in the handler.
 * The rules themselves are pure functions in domain/deal.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, condition, currentUpdateInfo, setHandler } from '@temporalio/workflow';
import {
  actorArgsProblem,
  amendArgsProblem,
  reasonArgsProblem,
  reassignArgsProblem,
  signoffArgsProblem,
} from '../../domain/deal/args';
import {
  applyAmend,
  applyCancel,
  applyEvidence,
  applyHold,
  applyReassign,
  applyResume,
  applySignoffCommand,
  checkAmendCommand,
} from '../../domain/deal/commands';
import {
  type CommandRefusal,
  checkActiveOrHeld,
  checkHold,
  checkReassign,
  checkResume,
  checkSignoff,
  dealView,
  type Refusal,
} from '../../domain/deal/machine';
import { evidenceProblem } from '../../domain/deal/requirements';
import type { DealState, Directory } from '../../domain/deal/types';
import {
  amendUpdate,
  cancelUpdate,
  evidenceUpdate,
  holdUpdate,
  REFUSAL_FAILURE_TYPE,
  reassignUpdate,
  resumeUpdate,
  type SignoffResult,
  signoffUpdate,
} from '../messages';
import type { DealLock } from './lock';
import type { DealWriter } from './writer';

/** Ids of accepted commands remembered across Continue-As-New (a retried command is not applied twice). */
const MAX_RECENT_UPDATES = 100;

export interface CommandContext {
  state: DealState;
  lock: DealLock;
  writer: DealWriter;
  /** True once the deal has entered its first stage. */
  ready(): boolean;
  /** The directory for the current AR (looked up first when the AR changed). */
  directory(forAr?: string): Promise<Directory>;
  /** Called after every applied command (the main loop re-arms its timers). */
  changed(): void;
}

export function refuse(r: Refusal | CommandRefusal): never {
  throw ApplicationFailure.create({
    type: REFUSAL_FAILURE_TYPE,
    message: r.message,
    details: [{ code: r.code, ...('field' in r && r.field ? { field: r.field } : {}) }],
    nonRetryable: true,
  });
}

interface CommandSpec<A, R> {
  /** The arguments' shape and content, whatever the state. */
  args(a: unknown): CommandRefusal | null;
  /** Whether the deal, as it is now, takes the command. */
  check(a: A): Refusal | CommandRefusal | null;
  /** Apply and write it; answer the result. */
  run(a: A): Promise<R>;
  /** The answer to a retry of a command already applied in an earlier run. */
  replayed(a: A): R;
  /**
   * Whether its id is remembered against retries (default). Evidence is not: it is a snapshot, and
   * many of them must not push the ids of real commands out of the bounded memory.
   */
  remember?: boolean;
}

export function registerCommands(ctx: CommandContext): void {
  const { state, lock, writer } = ctx;
  const recent = (): string[] => {
    if (!state.recentUpdates) state.recentUpdates = [];
    return state.recentUpdates;
  };

  function command<A, R>(def: UpdateDefinition<R, [A]>, spec: CommandSpec<A, R>): void {
    setHandler(
      def,
      async (a: A) => {
        const id = currentUpdateInfo()?.id;
        if (id && recent().includes(id)) return spec.replayed(a);
        await condition(ctx.ready);
        return lock.run(async () => {
          const r = spec.check(a);
          if (r) refuse(r);
          const result = await spec.run(a);
          if (id && spec.remember !== false) {
            recent().push(id);
            if (recent().length > MAX_RECENT_UPDATES)
              recent().splice(0, recent().length - MAX_RECENT_UPDATES);
          }
          ctx.changed();
          return result;
        });
      },
      {
        validator: (a: A) => {
          const shape = spec.args(a);
          if (shape) refuse(shape);
          const id = currentUpdateInfo()?.id;
          if (id && recent().includes(id)) return;
          // Not entered yet (a run still starting): decided by the handler once it has.
          if (!ctx.ready()) return;
          if (writer.overloaded) {
            refuse({ code: 'unavailable', message: 'The deal is catching up on its writes; retry shortly' });
          }
          const r = spec.check(a);
          if (r) refuse(r);
        },
      },
    );
  }

  const view = () => dealView(state);

  command(signoffUpdate, {
    args: signoffArgsProblem,
    check: (req) => {
      const c = checkSignoff(state, req);
      return c.ok ? null : c.refusal;
    },
    run: async (req): Promise<SignoffResult> => {
      const c = checkSignoff(state, req);
      if (!c.ok) refuse(c.refusal);
      const directory = await ctx.directory();
      const { write, signed, gate, seq } = applySignoffCommand(state, req, c.signoff, directory, Date.now());
      await writer.command(write);
      return {
        role: signed.role,
        userId: signed.userId,
        actorId: signed.actorId,
        decision: signed.decision,
        gate,
        seq,
        deal: view(),
      };
    },
    replayed: (req) => {
      const signed = findSignoff(state, req.stage, req.actorId);
      return {
        role: signed?.role ?? req.role ?? 'AR',
        userId: signed?.userId ?? req.actorId,
        actorId: req.actorId,
        decision: signed?.decision ?? req.decision,
        gate: state.stage?.key === req.stage ? ('pending' as const) : ('approved' as const),
        seq: state.seq,
        deal: view(),
      };
    },
  });

  command(holdUpdate, {
    args: reasonArgsProblem,
    check: () => checkHold(state),
    run: async (a) => {
      await writer.command(applyHold(state, a, Date.now()));
      return view();
    },
    replayed: view,
  });

  command(resumeUpdate, {
    args: actorArgsProblem,
    check: () => checkResume(state),
    run: async (a) => {
      await writer.command(applyResume(state, a, Date.now()));
      return view();
    },
    replayed: view,
  });

  command(reassignUpdate, {
    args: reassignArgsProblem,
    check: (a) => checkReassign(state, a.role, a.userId),
    run: async (a) => {
      // A pending `manager` approval follows a new AR: look up the new AR's manager first.
      const directory = await ctx.directory(a.role === 'AR' ? a.userId : undefined);
      await writer.command(applyReassign(state, a, directory, Date.now()));
      return view();
    },
    replayed: view,
  });

  command(amendUpdate, {
    args: amendArgsProblem,
    check: (a) => checkAmendCommand(state, a),
    run: async (a) => {
      const directory = await ctx.directory();
      await writer.command(applyAmend(state, a, directory, Date.now()));
      return view();
    },
    replayed: view,
  });

  command(evidenceUpdate, {
    args: (a) => {
      const shape = actorArgsProblem(a);
      if (shape) return shape;
      const problem = evidenceProblem((a as { evidence?: unknown }).evidence);
      return problem ? { code: 'invalid', message: problem, field: 'evidence' } : null;
    },
    check: () => checkActiveOrHeld(state),
    remember: false,
    run: async (a) => {
      const directory = await ctx.directory();
      const write = applyEvidence(state, a.evidence, directory, Date.now());
      if (write.events.length) await writer.command(write);
      return view();
    },
    replayed: view,
  });

  command(cancelUpdate, {
    args: reasonArgsProblem,
    check: () => checkActiveOrHeld(state),
    run: async (a) => {
      await writer.command(applyCancel(state, a, Date.now()));
      return view();
    },
    replayed: view,
  });
}

/** A sign-off `actorId` made at stage `key`: in the current visit, else the most recent one kept. */
function findSignoff(state: DealState, key: string, actorId: string) {
  if (state.stage?.key === key) {
    const s = state.stage.signoffs.find((x) => x.actorId === actorId);
    if (s) return s;
  }
  for (let i = state.history.length - 1; i >= 0; i--) {
    const h = state.history[i];
    if (h.key !== key) continue;
    const s = h.signers.find((x) => x.actorId === actorId);
    if (s) return s;
  }
  return undefined;
}
