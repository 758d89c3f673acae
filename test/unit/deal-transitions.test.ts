/**
 * The pure parts of moving a deal: commands, transitions, the SLA clock's actions, the directory,
 * separation of duties, bounded state and the argument checks the Update validators repeat.
 */
import { storableJson } from '../../activities/deal-records';
import { amendArgsProblem, reasonArgsProblem, signoffArgsProblem } from '../../domain/deal/args';
import { applyEscalation, applyReminder } from '../../domain/deal/clock';
import {
  amendPreview,
  applyAmend,
  applyCancel,
  applyHold,
  applyReassign,
  applyResume,
  applySignoffCommand,
  checkAmendCommand,
} from '../../domain/deal/commands';
import {
  checkReassign,
  checkSignoff,
  initialState,
  MAX_HISTORY,
  type SignoffRequest,
} from '../../domain/deal/machine';
import { requiredFor } from '../../domain/deal/policy';
import { emptyWrite, mergeWrites } from '../../domain/deal/records';
import { enter, refreshApprovers, settle } from '../../domain/deal/transitions';
import type { DealState, Directory } from '../../domain/deal/types';
import { amountProblem } from '../../domain/money';
import type { ProcessDefinition, StageDefinition } from '../../domain/process/types';
import { isStorableText } from '../../domain/text';

const T0 = Date.parse('2026-01-05T09:00:00.000Z');
const DIR: Directory = {
  at: new Date(T0).toISOString(),
  ar: 'ann',
  manager: 'max',
  groups: { legal: ['lee', 'liu'] },
  ops: ['ops1'],
};

function st(key: string, over: Partial<StageDefinition> = {}): StageDefinition {
  return {
    key,
    name: { en: key, zh: key },
    approvers: ['AR', 'SR', 'FR'],
    rule: 'all',
    sla: { within: '1h', remind: ['30m'], escalate: [{ after: '0s', notify: ['manager'] }] },
    weights: { AR: 0.4, SR: 0.3, FR: 0.3 },
    ...over,
  };
}

const DEF: ProcessDefinition = {
  key: 'p',
  name: { en: 'P', zh: 'P' },
  stages: [
    st('one', { approvers: ['AR'], weights: { AR: 1 } }),
    st('two', { when: [{ if: { valueAtLeast: 1000 }, add: ['manager'] }], onReject: 'one' }),
    st('three', { approvers: ['group:legal'], weights: { AR: 1 } }),
  ],
};

function deal(amount = 10, def = DEF): DealState {
  return initialState({
    dealId: 'd1',
    title: 'T',
    account: { name: 'Acme' },
    value: { amount, currency: 'CNY' },
    triangle: { AR: 'ann', SR: 'sam', FR: 'fay' },
    process: { key: def.key, version: 1 },
    definition: def,
    createdBy: 'ann',
    createdAt: new Date(T0).toISOString(),
  });
}

function req(stage: string, actorId: string, extra: Partial<SignoffRequest> = {}): SignoffRequest {
  return { stage, decision: 'approve', actorId, actingFor: [actorId], ...extra };
}

function sign(state: DealState, r: SignoffRequest, now = T0 + 1000) {
  const c = checkSignoff(state, r);
  if (!c.ok) throw new Error(c.refusal.code);
  return applySignoffCommand(state, r, c.signoff, DIR, now);
}

describe('a sign-off that decides a stage moves the deal in the same write', () => {
  it('sign-off, exit, next entry and their notices, in sequence order', () => {
    const state = deal();
    enter(state, 0, DIR, T0, emptyWrite());
    const { write, gate } = sign(state, req('one', 'ann'));
    expect(gate).toBe('approved');
    expect(write.events.map((e) => [e.seq, e.type, e.stage])).toEqual([
      [2, 'signoff.approved', 'one'],
      [3, 'stage.completed', 'one'],
      [4, 'stage.entered', 'two'],
    ]);
    expect(write.signoffs).toEqual([expect.objectContaining({ stageKey: 'one', role: 'AR', userId: 'ann' })]);
    expect(write.stageVisits).toEqual([
      expect.objectContaining({ key: 'one', outcome: 'approved', weights: { AR: 1 } }),
    ]);
    expect(write.notify.map((n) => [n.kind, n.event, n.userIds])).toEqual([
      ['decision', 'stage.completed', ['ann', 'sam', 'fay']],
      ['task', 'stage.entered', ['ann', 'sam', 'fay']],
    ]);
    expect(state.stage).toMatchObject({ key: 'two', visit: 1, signoffs: [] });
  });

  it('a rejection sends the deal back to onReject, a new visit there', () => {
    const state = deal();
    enter(state, 1, DIR, T0, emptyWrite());
    const { write } = sign(state, req('two', 'sam', { decision: 'reject', comment: 'no' }));
    expect(write.events.map((e) => e.type)).toEqual(['signoff.rejected', 'stage.completed', 'stage.entered']);
    expect(write.events[0].data).toMatchObject({ targetStage: 'one' });
    expect(state.stage).toMatchObject({ key: 'one', visit: 1 });
  });

  it('the last stage completes the deal, with its summary', () => {
    const state = deal();
    enter(state, 2, DIR, T0, emptyWrite());
    const { write } = sign(state, req('three', 'lee'));
    expect(write.events.map((e) => e.type)).toEqual([
      'signoff.approved',
      'stage.completed',
      'deal.completed',
    ]);
    expect(state.status).toBe('completed');
    expect(write.events[2].data).toMatchObject({
      stages: 1,
      summary: [expect.objectContaining({ stage: 'three' })],
    });
  });

  it('settle does nothing to an undecided stage', () => {
    const state = deal();
    enter(state, 1, DIR, T0, emptyWrite());
    const w = emptyWrite();
    expect(settle(state, DIR, T0, w)).toBe(false);
    expect(w.events).toEqual([]);
  });
});

describe('approvers from the directory', () => {
  it('triangle holders, the AR’s manager, group members; ops stand in for nobody', () => {
    const stage = st('x', { approvers: ['AR', 'manager', 'group:legal', 'group:empty'] });
    expect(requiredFor(stage, { amount: 1, currency: 'CNY' }, deal().triangle, DIR)).toEqual([
      { approver: 'AR', userIds: ['ann'], conditional: false },
      { approver: 'manager', userIds: ['max'], conditional: false },
      { approver: 'group:legal', userIds: ['lee', 'liu'], conditional: false },
      { approver: 'group:empty', userIds: ['ops1'], conditional: false, standIn: true },
    ]);
  });

  it('a refreshed directory updates pending non-triangle approvers and says so once', () => {
    const state = deal(5000);
    enter(state, 1, DIR, T0, emptyWrite());
    const fresh = { ...DIR, manager: 'mia' };
    const w = refreshApprovers(state, fresh, T0 + 5);
    expect(w.events.map((e) => [e.type, e.data])).toEqual([
      [
        'stage.approvers_updated',
        { visit: 1, changes: [{ approver: 'manager', from: ['max'], to: ['mia'] }] },
      ],
    ]);
    expect(w.notify).toEqual([expect.objectContaining({ kind: 'task', userIds: ['mia'] })]);
    expect(refreshApprovers(state, fresh, T0 + 6).events).toEqual([]);
  });
});

describe('commands', () => {
  it('hold and resume key their events by their own sequence number', () => {
    const state = deal();
    enter(state, 0, DIR, T0, emptyWrite());
    const held = applyHold(state, { actorId: 'boss', reason: 'wait' }, T0 + 10);
    expect(held.events[0]).toMatchObject({ seq: 2, key: 'hold:2', type: 'deal.on_hold' });
    const resumed = applyResume(state, { actorId: 'boss' }, T0 + 20);
    expect(resumed.events[0]).toMatchObject({ seq: 3, key: 'resume:3', data: { heldMs: 10 } });
  });

  it('reassigning the AR moves a pending manager approval to the new AR’s manager', () => {
    const state = deal(5000);
    enter(state, 1, DIR, T0, emptyWrite());
    const forNewAr = { ...DIR, ar: 'ava', manager: 'mo' };
    applyReassign(state, { actorId: 'boss', role: 'AR', userId: 'ava', reason: 'leave' }, forNewAr, T0 + 1);
    expect(state.stage!.required.find((r) => r.approver === 'manager')!.userIds).toEqual(['mo']);
    expect(state.stage!.required.find((r) => r.approver === 'AR')!.userIds).toEqual(['ava']);
  });

  it('a reassignment never gives one person two triangle roles, unless the process allows the pair', () => {
    const state = deal();
    expect(checkReassign(state, 'FR', 'sam')).toMatchObject({ code: 'triangle_conflict', field: 'userId' });
    state.definition = { ...DEF, separationOfDuties: { allowSamePerson: [['SR', 'FR']] } };
    expect(checkReassign(state, 'FR', 'sam')).toBeNull();
    expect(checkReassign(state, 'AR', 'sam')).toMatchObject({ code: 'triangle_conflict' });
  });

  it('an amend fills added approvers at once; removing a pending one needs authority over them', () => {
    const state = deal(10);
    enter(state, 1, DIR, T0, emptyWrite());
    const up = applyAmend(state, { actorId: 'boss', value: { amount: 5000, currency: 'CNY' } }, DIR, T0 + 1);
    expect(state.stage!.required.find((r) => r.approver === 'manager')).toEqual({
      approver: 'manager',
      userIds: ['max'],
      conditional: true,
    });
    expect(up.notify).toEqual([expect.objectContaining({ kind: 'task', userIds: ['max'] })]);
    const down = { value: { amount: 10, currency: 'CNY' } };
    expect(amendPreview(state, down.value).removedUnsigned.map((r) => r.approver)).toEqual(['manager']);
    expect(checkAmendCommand(state, { ...down, mayRemove: ['someone'] })).toMatchObject({
      code: 'forbidden',
    });
    expect(checkAmendCommand(state, { ...down })).toMatchObject({ code: 'forbidden' });
    expect(checkAmendCommand(state, { ...down, mayRemove: ['max'] })).toBeNull();
    expect(checkAmendCommand(state, { ...down, mayRemove: 'any' })).toBeNull();
    const w = applyAmend(state, { actorId: 'boss', ...down }, DIR, T0 + 2);
    expect(w.events[0].data).toMatchObject({ removedUnsigned: [{ approver: 'manager', userIds: ['max'] }] });
    expect(w.notify).toEqual([
      expect.objectContaining({ kind: 'status', event: 'deal.amended', userIds: ['max'] }),
    ]);
  });

  it('cancel closes the visit and ends the deal', () => {
    const state = deal();
    enter(state, 0, DIR, T0, emptyWrite());
    const w = applyCancel(state, { actorId: 'boss', reason: 'no budget' }, T0 + 5);
    expect(state.status).toBe('cancelled');
    expect(w.stageVisits).toEqual([expect.objectContaining({ key: 'one', outcome: 'cancelled' })]);
  });
});

describe('the SLA clock', () => {
  it('a reminder tells who is pending', () => {
    const state = deal();
    enter(state, 1, DIR, T0, emptyWrite());
    const w = applyReminder(state, { kind: 'reminder', index: 0, at: T0, timeLeftMs: 60_000 }, ['sam'], T0);
    expect(w.events[0]).toMatchObject({ type: 'stage.reminder', key: 'two:1:reminder:0' });
    expect(state.stage!.remindersSent).toBe(1);
  });

  it('an escalation level with an action decides the stage and moves the deal in the same write', () => {
    const state = deal();
    enter(state, 1, DIR, T0, emptyWrite());
    const w = applyEscalation(
      state,
      { kind: 'escalation', level: 1, at: T0, def: { after: '0s', notify: ['manager'], action: 'reject' } },
      ['max'],
      [],
      DIR,
      T0 + 1,
    );
    expect(w.events.map((e) => e.type)).toEqual([
      'stage.escalated',
      'stage.auto_decided',
      'stage.completed',
      'stage.entered',
    ]);
    expect(state.stage!.key).toBe('one');
  });
});

describe('bounded state', () => {
  it('keeps the most recent stage visits however often a stage loops', () => {
    const def: ProcessDefinition = { ...DEF, stages: [st('a', { approvers: ['AR'], onReject: 'a' })] };
    const state = deal(10, def);
    enter(state, 0, DIR, T0, emptyWrite());
    for (let i = 0; i < MAX_HISTORY + 40; i++)
      sign(state, req('a', 'ann', { decision: 'reject', comment: 'x' }));
    expect(state.history).toHaveLength(MAX_HISTORY);
    expect(state.historyDropped).toBe(40);
    expect(state.stage!.visit).toBe(MAX_HISTORY + 41);
  });

  it('merged writes keep every row in order', () => {
    const a = { ...emptyWrite(), events: [{ seq: 1 }] } as never;
    const b = { ...emptyWrite(), events: [{ seq: 2 }] } as never;
    expect(mergeWrites([a, b]).events.map((e) => e.seq)).toEqual([1, 2]);
  });
});

describe('what the Update validators check again', () => {
  it('text Postgres cannot store, bad amounts, wrong shapes', () => {
    const ok = { stage: 's', decision: 'approve', actorId: 'a', actingFor: ['a'] };
    expect(signoffArgsProblem(ok)).toBeNull();
    expect(signoffArgsProblem({ ...ok, comment: 'a\u0000' })).toMatchObject({ field: 'comment' });
    expect(signoffArgsProblem({ ...ok, comment: '\udc00' })).toMatchObject({ field: 'comment' });
    expect(signoffArgsProblem({ ...ok, decision: 'maybe' })).toMatchObject({ field: 'decision' });
    expect(signoffArgsProblem({ ...ok, role: 'boss' })).toMatchObject({ field: 'role' });
    expect(signoffArgsProblem(null)).toMatchObject({ code: 'invalid' });
    expect(reasonArgsProblem({ actorId: 'a', reason: '  ' })).toMatchObject({ field: 'reason' });
    const amend = (amount: unknown) => amendArgsProblem({ actorId: 'a', value: { amount, currency: 'CNY' } });
    expect(amend(12.34)).toBeNull();
    expect(amend(1e18)).toMatchObject({ field: 'value.amount' });
    expect(amend(1.005)).toMatchObject({ field: 'value.amount' });
    expect(amend(-1)).toMatchObject({ field: 'value.amount' });
    expect(amend(Number.NaN)).toMatchObject({ field: 'value.amount' });
  });

  it('storable text and amounts', () => {
    expect(isStorableText('中文 and 😀')).toBe(true);
    expect(isStorableText('\ud83d')).toBe(false);
    expect(isStorableText('x\u0000')).toBe(false);
    expect(amountProblem(9_999_999_999_999.99)).toBeNull();
    expect(amountProblem(10_000_000_000_000)).toMatch(/at most/);
  });

  it('the write activity’s last guard turns unstorable escapes into U+FFFD, and leaves the rest', () => {
    const json = storableJson({ a: 'x\u0000y', b: '\ud800', c: '😀', d: '\\u0000 typed', e: '\\\ud800' });
    expect(JSON.parse(json)).toEqual({
      a: 'x\ufffdy',
      b: '\ufffd',
      c: '😀',
      d: '\\u0000 typed',
      e: '\\\ufffd',
    });
  });
});
