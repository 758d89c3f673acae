import {
  dueAtFor,
  escalationLevels,
  isOverdue,
  pauseClock,
  reminderOffsets,
  resumeClock,
  slaStep,
  withinMs,
} from '../../domain/deal/sla';
import type { EscalationLevel, StageDefinition } from '../../domain/process/types';

const T0 = Date.parse('2025-03-01T09:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const L1: EscalationLevel = { after: '0s', notify: ['manager'] };
const L2: EscalationLevel = { after: '10s', notify: ['manager+1'] };
const L3: EscalationLevel = { after: '1m', notify: ['group:sdt'], action: 'reject' };

/** within 30s; reminders at 20s and 10s left (written unsorted); escalations at due, +10s, +60s. */
const stage = (sla: Partial<StageDefinition['sla']> = {}): StageDefinition => ({
  key: 'review',
  name: { en: 'Review', zh: '评审' },
  approvers: ['AR'],
  rule: 'all',
  sla: { within: '30s', remind: ['10s', '20s'], escalate: [L1, L2, L3], ...sla },
  weights: { AR: 1 },
});

const DUE = T0 + 30_000;
const visit = (remindersSent = 0, escalationLevel = 0, dueAt: string | null = iso(DUE)) => ({
  dueAt,
  remindersSent,
  escalationLevel,
});

describe('durations of a stage', () => {
  it('withinMs parses short and ISO forms', () => {
    expect(withinMs(stage())).toBe(30_000);
    expect(withinMs(stage({ within: 'PT1M30S' }))).toBe(90_000);
    expect(withinMs(stage({ within: '2w' }))).toBe(14 * 86_400_000);
  });

  it('throws on an invalid duration', () => {
    expect(() => withinMs(stage({ within: '30 seconds' }))).toThrow('invalid duration "30 seconds"');
    expect(() => reminderOffsets(stage({ remind: ['1x'] }))).toThrow('invalid duration "1x"');
    expect(() => escalationLevels(stage({ escalate: [{ after: '-1s', notify: ['manager'] }] }))).toThrow(
      'invalid duration "-1s"',
    );
  });

  it('reminderOffsets sorts largest first', () => {
    expect(reminderOffsets(stage())).toEqual([20_000, 10_000]);
    expect(reminderOffsets(stage({ remind: ['1d', '2w', '4h'] }))).toEqual([
      1_209_600_000, 86_400_000, 14_400_000,
    ]);
    expect(reminderOffsets(stage({ remind: undefined }))).toEqual([]);
  });

  it('escalationLevels keeps the definition order with its definitions', () => {
    expect(escalationLevels(stage())).toEqual([
      { after: 0, def: L1 },
      { after: 10_000, def: L2 },
      { after: 60_000, def: L3 },
    ]);
    expect(escalationLevels(stage({ escalate: undefined }))).toEqual([]);
  });

  it('dueAtFor is entry + within', () => {
    expect(dueAtFor(stage(), T0)).toBe(DUE);
    expect(iso(dueAtFor(stage({ within: '3d' }), T0))).toBe('2025-03-04T09:00:00.000Z');
  });
});

describe('slaStep', () => {
  const def = stage();

  it('at entry fires nothing and points to the first reminder', () => {
    expect(slaStep(def, visit(), T0)).toEqual({
      fire: [],
      remindersSent: 0,
      next: { kind: 'reminder', index: 0, at: T0 + 10_000, timeLeftMs: 20_000 },
    });
  });

  it('fires reminder 0 at exactly due − 20s, not a millisecond earlier', () => {
    expect(slaStep(def, visit(), T0 + 9_999).fire).toEqual([]);
    expect(slaStep(def, visit(), T0 + 10_000)).toEqual({
      fire: [{ kind: 'reminder', index: 0, at: T0 + 10_000, timeLeftMs: 20_000 }],
      remindersSent: 1,
      next: { kind: 'reminder', index: 1, at: T0 + 20_000, timeLeftMs: 10_000 },
    });
  });

  it('does not repeat a sent reminder', () => {
    expect(slaStep(def, visit(1), T0 + 15_000)).toEqual({
      fire: [],
      remindersSent: 1,
      next: { kind: 'reminder', index: 1, at: T0 + 20_000, timeLeftMs: 10_000 },
    });
  });

  it('fires reminder 1 at due − 10s, then points to the first escalation at due', () => {
    expect(slaStep(def, visit(1), T0 + 20_000)).toEqual({
      fire: [{ kind: 'reminder', index: 1, at: T0 + 20_000, timeLeftMs: 10_000 }],
      remindersSent: 2,
      next: { kind: 'escalation', level: 1, at: DUE, def: L1 },
    });
  });

  it('sends only the last of several late reminders, with the real time left', () => {
    expect(slaStep(def, visit(0), T0 + 25_000)).toEqual({
      fire: [{ kind: 'reminder', index: 1, at: T0 + 20_000, timeLeftMs: 5_000 }],
      remindersSent: 2,
      next: { kind: 'escalation', level: 1, at: DUE, def: L1 },
    });
  });

  it('sends no reminder at or after the due time; escalation level 1 fires at due + 0s', () => {
    expect(slaStep(def, visit(0), DUE)).toEqual({
      fire: [{ kind: 'escalation', level: 1, at: DUE, def: L1 }],
      remindersSent: 2,
      next: { kind: 'escalation', level: 2, at: DUE + 10_000, def: L2 },
    });
  });

  it('fires escalation level 2 at exactly due + 10s', () => {
    expect(slaStep(def, visit(2, 1), DUE + 9_999)).toEqual({
      fire: [],
      remindersSent: 2,
      next: { kind: 'escalation', level: 2, at: DUE + 10_000, def: L2 },
    });
    expect(slaStep(def, visit(2, 1), DUE + 10_000).fire).toEqual([
      { kind: 'escalation', level: 2, at: DUE + 10_000, def: L2 },
    ]);
  });

  it('fires every late escalation level, in order, each once', () => {
    const late = slaStep(def, visit(0, 0), DUE + 60_000);
    expect(late).toEqual({
      fire: [
        { kind: 'escalation', level: 1, at: DUE, def: L1 },
        { kind: 'escalation', level: 2, at: DUE + 10_000, def: L2 },
        { kind: 'escalation', level: 3, at: DUE + 60_000, def: L3 },
      ],
      remindersSent: 2,
      next: null,
    });
    expect(slaStep(def, visit(2, 3), DUE + 3_600_000)).toEqual({ fire: [], remindersSent: 2, next: null });
  });

  it('does nothing while the clock is paused (dueAt null)', () => {
    expect(slaStep(def, visit(1, 2, null), DUE + 3_600_000)).toEqual({
      fire: [],
      remindersSent: 1,
      next: null,
    });
  });

  it('with no reminders or escalations there is nothing to do', () => {
    const bare = stage({ remind: undefined, escalate: undefined });
    expect(slaStep(bare, visit(), T0)).toEqual({ fire: [], remindersSent: 0, next: null });
    expect(slaStep(bare, visit(), DUE + 1)).toEqual({ fire: [], remindersSent: 0, next: null });
  });

  it('counts from a resumed due time after a hold', () => {
    // Paused with 25s left, resumed at T0 + 100s: new due T0 + 125s; the 20s reminder is next at T0 + 105s.
    const dueAt = resumeClock(25_000, T0 + 100_000);
    expect(dueAt).toBe(iso(T0 + 125_000));
    expect(slaStep(def, visit(0, 0, dueAt), T0 + 100_000).next).toEqual({
      kind: 'reminder',
      index: 0,
      at: T0 + 105_000,
      timeLeftMs: 20_000,
    });
  });
});

describe('pause and resume', () => {
  it('pauseClock keeps the time left, negative once overdue, null when already paused', () => {
    expect(pauseClock({ dueAt: iso(DUE) }, T0 + 10_000)).toBe(20_000);
    expect(pauseClock({ dueAt: iso(DUE) }, DUE)).toBe(0);
    expect(pauseClock({ dueAt: iso(DUE) }, DUE + 7_000)).toBe(-7_000);
    expect(pauseClock({ dueAt: null }, T0)).toBeNull();
  });

  it('resumeClock re-arms with the time that was left', () => {
    expect(resumeClock(20_000, T0 + 60_000)).toBe('2025-03-01T09:01:20.000Z');
    expect(resumeClock(-7_000, T0 + 60_000)).toBe('2025-03-01T09:00:53.000Z');
    expect(resumeClock(null, T0)).toBeNull();
  });
});

describe('isOverdue', () => {
  it('is true from the due time on, false while paused', () => {
    expect(isOverdue({ dueAt: iso(DUE) }, DUE - 1)).toBe(false);
    expect(isOverdue({ dueAt: iso(DUE) }, DUE)).toBe(true);
    expect(isOverdue({ dueAt: iso(DUE) }, DUE + 1)).toBe(true);
    expect(isOverdue({ dueAt: null }, DUE + 1_000_000)).toBe(false);
  });
});
