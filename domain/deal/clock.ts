/**
 * What the SLA clock does to a deal when it fires (see ./sla.ts for when): a reminder, or an
 * escalation level, which may decide the stage (`action`) and so move the deal on. Pure.
 */
import { nextEvent, visitKey } from './events';
import { autoDecide, currentStageDef } from './machine';
import { escalationNotice, reminderNotice } from './notices';
import { rejectTarget } from './policy';
import { type DealWrite, emptyWrite } from './records';
import type { SlaAction } from './sla';
import { settle } from './transitions';
import type { DealState, Directory } from './types';

type Reminder = Extract<SlaAction, { kind: 'reminder' }>;
type Escalation = Extract<SlaAction, { kind: 'escalation' }>;

export function applyReminder(state: DealState, action: Reminder, pending: string[], now: number): DealWrite {
  const stage = state.stage!;
  stage.remindersSent = Math.max(stage.remindersSent, action.index + 1);
  const write = emptyWrite();
  const key = visitKey(state, `reminder:${action.index}`);
  write.events.push(
    nextEvent(
      state,
      {
        type: 'stage.reminder',
        key,
        data: {
          visit: stage.visit,
          index: action.index,
          timeLeftMs: action.timeLeftMs,
          dueAt: stage.dueAt,
          notified: pending,
        },
      },
      now,
    ),
  );
  write.notify.push(reminderNotice(state, key, pending, action.timeLeftMs));
  return write;
}

/**
 * Fire escalation level `action.level`: the targets (resolved by the caller from the org chart) are
 * told who the stage waits on; a level with an `action` decides the stage as `system`, and the deal
 * moves on in the same write.
 */
export function applyEscalation(
  state: DealState,
  action: Escalation,
  targets: string[],
  waiting: { role: string; userId: string }[],
  directory: Directory,
  now: number,
): DealWrite {
  const stage = state.stage!;
  stage.escalationLevel = action.level;
  const write = emptyWrite();
  const key = visitKey(state, `escalated:${action.level}`);
  write.events.push(
    nextEvent(
      state,
      {
        type: 'stage.escalated',
        key,
        data: {
          visit: stage.visit,
          level: action.level,
          targets: action.def.notify,
          notified: targets,
          waitingOn: waiting,
          dueAt: stage.dueAt,
        },
      },
      now,
    ),
  );
  write.notify.push(escalationNotice(state, key, targets, action.level, waiting));
  if (action.def.action) {
    const target = action.def.action === 'reject' ? rejectTarget(currentStageDef(state)) : undefined;
    autoDecide(state, action.def.action, action.level, now);
    write.events.push(
      nextEvent(
        state,
        {
          type: 'stage.auto_decided',
          key: visitKey(state, 'auto_decided'),
          data: {
            visit: stage.visit,
            level: action.level,
            decision: action.def.action,
            ...(target ? { targetStage: target } : {}),
          },
        },
        now,
      ),
    );
    settle(state, directory, now, write);
  }
  return write;
}
