/**
 * The deal workflow (runs started since the `deal-v3` patch): one large-account deal from lead to
 * close. It orchestrates only: commands (./commands.ts) and the SLA clock (./clock.ts) change the
 * deal through pure functions in domain/deal, one at a time (./lock.ts), and every change is written
 * by ./writer.ts. A command that decides a stage answers with the deal already in its next stage.
 *
 * The main loop: start (create and enter the first stage), then until the deal ends, do the
 * writer's background work, keep the directory fresh, continue as new when Temporal suggests it,
 * and fire the SLA clock's reminders and escalations on time.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { nextEvent } from '../../domain/deal/events';
import {
  currentStageDef,
  dealQueryView,
  dealView,
  initialState,
  isTerminal,
} from '../../domain/deal/machine';
import { DIRECTORY_MAX_AGE_MS, directoryFits, groupsNamed } from '../../domain/deal/policy';
import { emptyWrite } from '../../domain/deal/records';
import { slaStep } from '../../domain/deal/sla';
import { enter, refreshApprovers } from '../../domain/deal/transitions';
import type { DealResult, DealState, Directory } from '../../domain/deal/types';
import { type DealWorkflowArgs, dealQuery, readyUpdate } from '../messages';
import { commandLookups, stepLookups } from './activities';
import { fire } from './clock';
import { registerCommands } from './commands';
import { DealLock } from './lock';
import { searchAttributeSync } from './visibility';
import { DealWriter } from './writer';

export const DEAL_REQUIRES_PATCH = 'deal-requires';
/** Runs since this patch start the deliveries of the write that ended the deal (they were dropped). */
export const DEAL_ENDS_DELIVERED_PATCH = 'deal-ends-delivered';

export async function runDeal(args: DealWorkflowArgs): Promise<DealResult> {
  const options = args.options ?? {};
  const state: DealState = 'start' in args ? initialState(args.start) : carriedState(args.carried);
  // Runs since this patch: a stage completes only when its `requires` hold too (see requirements.ts).
  if (patched(DEAL_REQUIRES_PATCH)) {
    state.gatesAskEvidence = true;
    if ('start' in args && args.start.evidence) state.evidence = args.start.evidence;
  }
  const lock = new DealLock();
  const writer = new DealWriter(state);
  const syncSearchAttributes = searchAttributeSync(state);
  let ready = !('start' in args) && args.enterIndex === null;
  let transitionsThisRun = 0;
  let lastVisit = visitId(state);

  const lookUp = async (ar: string, via: typeof stepLookups): Promise<Directory> => {
    const found = await via.resolveDirectory({
      dealId: state.dealId,
      ar,
      groups: groupsNamed(state.definition),
    });
    return { ...found, at: new Date().toISOString() };
  };
  const directory = async (forAr?: string): Promise<Directory> => {
    const ar = forAr ?? state.triangle.AR;
    if (state.directory?.ar === ar) return state.directory;
    const found = await lookUp(ar, commandLookups);
    // Keep it only if it is for the AR the deal has (a reassignment applies it right after).
    if (!forAr || found.ar === state.triangle.AR) state.directory = found;
    return found;
  };
  const changed = () => {
    const id = visitId(state);
    if (id !== lastVisit) {
      transitionsThisRun++;
      lastVisit = id;
    }
    syncSearchAttributes();
  };

  setHandler(dealQuery, () => dealQueryView(state));
  setHandler(readyUpdate, async () => {
    await condition(() => ready || isTerminal(state));
    return dealView(state);
  });
  registerCommands({ state, lock, writer, ready: () => ready, directory, changed });

  // ------------------------------------------------------------------------------------------
  // Start: a new deal is created and enters its first stage; a run continued from one started
  // before `deal-v3` may still have to enter the stage it was moving to.
  // ------------------------------------------------------------------------------------------
  if ('start' in args) {
    state.directory = await lookUp(state.triangle.AR, commandLookups);
    const write = emptyWrite();
    write.events.push(
      nextEvent(
        state,
        {
          type: 'deal.created',
          key: 'deal:created',
          data: { title: state.title, value: state.value, triangle: state.triangle, process: state.process },
          actorId: state.createdBy,
        },
        Date.now(),
      ),
    );
    enter(state, 0, state.directory, Date.now(), write);
    await writer.command(write);
  } else if (args.enterIndex !== null && !isTerminal(state)) {
    const write = emptyWrite();
    enter(state, args.enterIndex, await directory(), Date.now(), write);
    await writer.step(write);
  }
  changed();
  ready = true;

  // ------------------------------------------------------------------------------------------
  // Main loop
  // ------------------------------------------------------------------------------------------
  while (!isTerminal(state)) {
    if (writer.due) {
      await writer.work();
      continue;
    }
    if (directoryDue(state, options.directoryMaxAgeMs ?? DIRECTORY_MAX_AGE_MS)) {
      const fresh = await lookUp(state.triangle.AR, stepLookups);
      await lock.run(async () => {
        if (fresh.ar !== state.triangle.AR) return; // the AR changed meanwhile: looked up again
        state.directory = fresh;
        await writer.step(refreshApprovers(state, fresh, Date.now()));
        changed();
      });
      continue;
    }
    if (shouldContinueAsNew()) {
      await condition(() => allHandlersFinished() && !lock.busy);
      return continueAsNew<typeof runDeal>({ carried: state, enterIndex: null, options });
    }
    // Woken by what moves the SLA clock (a new visit, hold, resume, a level fired), not by every
    // sign-off: its timer is not re-armed for nothing.
    const clock = clockKey(state);
    const wake = () => clockKey(state) !== clock || writer.due || isTerminal(state) || shouldContinueAsNew();
    const stage = state.stage;
    if (!stage || state.status === 'on_hold') {
      await waitUntil(wake, writer.nextRetryAt);
      continue;
    }
    const step = slaStep(currentStageDef(state), stage, Date.now());
    stage.remindersSent = step.remindersSent;
    if (step.fire.length) {
      for (const action of step.fire) {
        if (!(await fire({ state, lock, writer, directory }, stage, action))) break;
        changed();
      }
      continue;
    }
    await waitUntil(wake, earliest(step.next?.at ?? null, writer.nextRetryAt));
  }

  // Ended. Since the `deal-ends-delivered` patch: first the command that ended the deal finishes its
  // write (the loop saw the end before that write returned, with the deliveries it defers), then
  // nothing is left unwritten or unsent, then the handlers still running finish.
  if (patched(DEAL_ENDS_DELIVERED_PATCH)) await condition(() => allHandlersFinished() && !lock.busy);
  while (!writer.idle) {
    if (writer.due) await writer.work();
    else await waitUntil(() => writer.due, writer.nextRetryAt);
  }
  await condition(allHandlersFinished);
  return { dealId: state.dealId, status: state.status, stages: state.history };

  function shouldContinueAsNew(): boolean {
    if (workflowInfo().continueAsNewSuggested) return true;
    return options.maxTransitionsPerRun !== undefined && transitionsThisRun >= options.maxTransitionsPerRun;
  }
}

/** The state a continued run starts from; fields added since the previous run's code get defaults. */
function carriedState(carried: DealState): DealState {
  return {
    ...carried,
    backlog: carried.backlog ?? null,
    fault: carried.fault ?? null,
    recentUpdates: carried.recentUpdates ?? [],
    pendingDeliveries: carried.pendingDeliveries ?? [],
  };
}

/** What the SLA schedule depends on. */
function clockKey(state: DealState): string {
  const s = state.stage;
  return `${state.status}|${s?.key}|${s?.visit}|${s?.dueAt}|${s?.escalationLevel}|${s?.remindersSent}`;
}

function visitId(state: DealState): string {
  return state.stage ? `${state.stage.key}:${state.stage.visit}` : state.status;
}

/** The directory was looked up well before the current stage was entered: look it up again. */
function directoryDue(state: DealState, maxAgeMs: number): boolean {
  const s = state.stage;
  if (!s || isTerminal(state)) return false;
  if (!directoryFits(state.directory, state.triangle)) return true;
  return Date.parse(state.directory.at) + maxAgeMs < Date.parse(s.enteredAt);
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

async function waitUntil(wake: () => boolean, at: number | null): Promise<void> {
  if (at === null) await condition(wake);
  else await condition(wake, Math.max(1, at - Date.now()));
}
