/**
 * The SLA clock of a stage visit: due time, reminders before it, escalation levels after it,
 * and pausing while the deal is on hold. Pure functions over epoch milliseconds.
 */
import { parseDuration } from '../duration';
import type { EscalationLevel, StageDefinition } from '../process/types';
import type { StageVisit } from './types';

export type SlaAction =
  | { kind: 'reminder'; index: number; at: number; timeLeftMs: number }
  | { kind: 'escalation'; level: number; at: number; def: EscalationLevel };

function ms(text: string): number {
  const v = parseDuration(text);
  if (v === null) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  return v;
}

export function withinMs(stage: StageDefinition): number {
  return ms(stage.sla.within);
}

/** Reminder offsets (time left before due), largest first, so reminder i fires before reminder i+1. */
export function reminderOffsets(stage: StageDefinition): number[] {
  return (stage.sla.remind ?? []).map(ms).sort((a, b) => b - a);
}

export function escalationLevels(stage: StageDefinition): { after: number; def: EscalationLevel }[] {
  return (stage.sla.escalate ?? []).map((def) => ({ after: ms(def.after), def }));
}

/** Due time of a visit entered at `enteredAt`. */
export function dueAtFor(stage: StageDefinition, enteredAt: number): number {
  return enteredAt + withinMs(stage);
}

/**
 * What the clock should do now, and when it next needs attention.
 * - Reminders fire in order; when several are already late (after a hold, say), only the last of
 *   them is sent and the earlier ones are skipped. No reminder is sent once the due time passed.
 * - Escalation levels fire in order, each at due + after; several late levels all fire.
 * - A paused clock (dueAt null) does nothing.
 */
export function slaStep(
  stage: StageDefinition,
  visit: Pick<StageVisit, 'dueAt' | 'remindersSent' | 'escalationLevel'>,
  now: number,
): { fire: SlaAction[]; remindersSent: number; next: SlaAction | null } {
  if (visit.dueAt === null) return { fire: [], remindersSent: visit.remindersSent, next: null };
  const due = Date.parse(visit.dueAt);
  const fire: SlaAction[] = [];
  const offsets = reminderOffsets(stage);
  let sent = visit.remindersSent;
  if (now >= due) {
    sent = offsets.length; // too late for reminders
  } else {
    let lastLate: SlaAction | null = null;
    while (sent < offsets.length && due - offsets[sent] <= now) {
      lastLate = { kind: 'reminder', index: sent, at: due - offsets[sent], timeLeftMs: due - now };
      sent++;
    }
    if (lastLate) fire.push(lastLate);
  }
  const levels = escalationLevels(stage);
  let level = visit.escalationLevel;
  while (level < levels.length && due + levels[level].after <= now) {
    fire.push({
      kind: 'escalation',
      level: level + 1,
      at: due + levels[level].after,
      def: levels[level].def,
    });
    level++;
  }
  let next: SlaAction | null = null;
  if (sent < offsets.length) {
    next = { kind: 'reminder', index: sent, at: due - offsets[sent], timeLeftMs: offsets[sent] };
  } else if (level < levels.length) {
    next = { kind: 'escalation', level: level + 1, at: due + levels[level].after, def: levels[level].def };
  }
  return { fire, remindersSent: sent, next };
}

/** Pause: remember the time left (negative once overdue). */
export function pauseClock(visit: Pick<StageVisit, 'dueAt'>, now: number): number | null {
  return visit.dueAt === null ? null : Date.parse(visit.dueAt) - now;
}

/** Resume: the new due time keeps the time that was left at the pause. */
export function resumeClock(remainingMs: number | null, now: number): string | null {
  return remainingMs === null ? null : new Date(now + remainingMs).toISOString();
}

export function isOverdue(visit: Pick<StageVisit, 'dueAt'>, now: number): boolean {
  return visit.dueAt !== null && Date.parse(visit.dueAt) <= now;
}
