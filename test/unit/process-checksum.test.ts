import { definitionChecksum } from '../../definitions/checksum';
import { canonicalJson } from '../../domain/process/canonical';
import type { ProcessDefinition } from '../../domain/process/types';

const def = (): ProcessDefinition => ({
  key: 'p',
  name: { en: 'P', zh: '流程' },
  stages: [
    {
      key: 'a',
      name: { en: 'A', zh: '甲' },
      approvers: ['AR', 'FR'],
      rule: 'all',
      sla: { within: '2d', remind: ['1d'] },
      weights: { AR: 0.6, FR: 0.4 },
    },
  ],
});

describe('canonicalJson', () => {
  test('sorts object keys recursively and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  test('follows JSON for undefined, non-finite numbers and primitives', () => {
    expect(canonicalJson({ a: undefined, b: null, c: [undefined, Number.NaN] })).toBe(
      '{"b":null,"c":[null,null]}',
    );
    expect(canonicalJson('é"')).toBe(JSON.stringify('é"'));
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(undefined)).toBe('null');
  });

  test('uses toJSON', () => {
    expect(canonicalJson({ at: new Date('2024-01-02T03:04:05.000Z') })).toBe(
      '{"at":"2024-01-02T03:04:05.000Z"}',
    );
  });

  test('throws on cycles but accepts shared references', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic/);
  });
});

describe('definitionChecksum', () => {
  test('is a sha256 hex digest', () => {
    expect(definitionChecksum(def())).toMatch(/^[0-9a-f]{64}$/);
  });

  test('ignores key order', () => {
    const a = def();
    const stage = a.stages[0];
    const reordered: ProcessDefinition = {
      stages: [
        {
          weights: { FR: 0.4, AR: 0.6 },
          sla: { remind: ['1d'], within: '2d' },
          rule: 'all',
          approvers: ['AR', 'FR'],
          name: { zh: '甲', en: 'A' },
          key: stage.key,
        },
      ],
      name: { zh: '流程', en: 'P' },
      key: 'p',
    };
    expect(definitionChecksum(reordered)).toBe(definitionChecksum(a));
  });

  test('changes with content, including array order', () => {
    const base = definitionChecksum(def());
    const changed = def();
    changed.stages[0].sla.within = '3d';
    expect(definitionChecksum(changed)).not.toBe(base);
    const swapped = def();
    swapped.stages[0].approvers = ['FR', 'AR'];
    expect(definitionChecksum(swapped)).not.toBe(base);
  });
});
