import { diffDefinitions, formatDefinitionDiff, isEmptyDiff } from '../../domain/process/diff';
import type { ProcessDefinition, StageDefinition } from '../../domain/process/types';

const stage = (key: string, extra: Partial<StageDefinition> = {}): StageDefinition => ({
  key,
  name: { en: key, zh: key },
  approvers: ['AR', 'FR'],
  rule: 'all',
  sla: { within: '3d', remind: ['1d'], escalate: [{ after: '0s', notify: ['manager'] }] },
  weights: { AR: 0.6, FR: 0.4 },
  ...extra,
});

const def = (stages: StageDefinition[], name = { en: 'P', zh: '流程' }): ProcessDefinition => ({
  key: 'p',
  name,
  stages,
});

describe('diffDefinitions', () => {
  test('equal definitions give an empty diff', () => {
    const a = def([stage('a'), stage('b')]);
    const diff = diffDefinitions(a, JSON.parse(JSON.stringify(a)));
    expect(diff).toEqual({ stagesAdded: [], stagesRemoved: [], stagesChanged: [], orderChanged: false });
    expect(isEmptyDiff(diff)).toBe(true);
    expect(formatDefinitionDiff(diff)).toEqual([]);
  });

  test('key order inside objects does not count as a change', () => {
    const a = def([stage('a')]);
    const b = def([stage('a', { weights: { FR: 0.4, AR: 0.6 } })]);
    expect(isEmptyDiff(diffDefinitions(a, b))).toBe(true);
  });

  test('name change', () => {
    const diff = diffDefinitions(def([stage('a')]), def([stage('a')], { en: 'P', zh: '新流程' }));
    expect(diff.name).toEqual({ from: { en: 'P', zh: '流程' }, to: { en: 'P', zh: '新流程' } });
    expect(diff.key).toBeUndefined();
  });

  test('stages added and removed, with their indexes', () => {
    const diff = diffDefinitions(
      def([stage('a'), stage('b'), stage('c')]),
      def([stage('a'), stage('x'), stage('c')]),
    );
    expect(diff.stagesAdded).toEqual([{ key: 'x', index: 1 }]);
    expect(diff.stagesRemoved).toEqual([{ key: 'b', index: 1 }]);
    expect(diff.stagesChanged).toEqual([]);
    expect(diff.orderChanged).toBe(false);
  });

  test('order change among common stages', () => {
    const diff = diffDefinitions(
      def([stage('a'), stage('b'), stage('c')]),
      def([stage('b'), stage('a'), stage('c')]),
    );
    expect(diff.orderChanged).toBe(true);
    expect(diff.stagesChanged).toEqual([]);
    const inserted = diffDefinitions(
      def([stage('a'), stage('b')]),
      def([stage('x'), stage('a'), stage('b')]),
    );
    expect(inserted.orderChanged).toBe(false);
  });

  test('field changes use dotted paths; arrays and the rule compare as whole values', () => {
    const from = def([stage('a', { onReject: 'lost' })]);
    const to = def([
      stage('a', {
        name: { en: 'a', zh: '甲' },
        gate: 'ATI',
        approvers: ['AR', 'SR', 'FR'],
        rule: { atLeast: 2 },
        sla: { within: '5d', remind: ['2d', '1d'], escalate: [{ after: '0s', notify: ['manager'] }] },
        weights: { AR: 0.5, FR: 0.3, SR: 0.2 },
      }),
    ]);
    const diff = diffDefinitions(from, to);
    expect(diff.stagesChanged).toEqual([
      {
        key: 'a',
        changes: [
          { field: 'name.zh', from: 'a', to: '甲' },
          { field: 'gate', from: undefined, to: 'ATI' },
          { field: 'approvers', from: ['AR', 'FR'], to: ['AR', 'SR', 'FR'] },
          { field: 'rule', from: 'all', to: { atLeast: 2 } },
          { field: 'sla.within', from: '3d', to: '5d' },
          { field: 'sla.remind', from: ['1d'], to: ['2d', '1d'] },
          { field: 'weights.AR', from: 0.6, to: 0.5 },
          { field: 'weights.SR', from: undefined, to: 0.2 },
          { field: 'weights.FR', from: 0.4, to: 0.3 },
          { field: 'onReject', from: 'lost', to: undefined },
        ],
      },
    ]);
  });

  test('rule objects are compared whole', () => {
    const diff = diffDefinitions(
      def([stage('a', { rule: { atLeast: 1 } })]),
      def([stage('a', { rule: { atLeast: 2 } })]),
    );
    expect(diff.stagesChanged[0].changes).toEqual([
      { field: 'rule', from: { atLeast: 1 }, to: { atLeast: 2 } },
    ]);
  });

  test('escalation and when lists compare as whole values', () => {
    const to = def([
      stage('a', {
        when: [{ if: { valueAtLeast: 5 }, add: ['manager'] }],
        sla: { within: '3d', remind: ['1d'], escalate: [{ after: '1h', notify: ['manager'] }] },
      }),
    ]);
    const diff = diffDefinitions(def([stage('a')]), to);
    expect(diff.stagesChanged[0].changes.map((c) => c.field)).toEqual(['when', 'sla.escalate']);
  });

  test('formats readable lines', () => {
    const from = def([stage('a'), stage('b')]);
    const to = def(
      [
        stage('b', {
          sla: { within: '4d', remind: ['1d'], escalate: [{ after: '0s', notify: ['manager'] }] },
        }),
        stage('c'),
      ],
      {
        en: 'Q',
        zh: '流程',
      },
    );
    expect(formatDefinitionDiff(diffDefinitions(from, to))).toEqual([
      'name: {"en":"P","zh":"流程"} -> {"en":"Q","zh":"流程"}',
      '+ stage c (at position 2)',
      '- stage a (was at position 1)',
      '~ stage b',
      '    sla.within: "3d" -> "4d"',
    ]);
  });
});
