/**
 * Generated process definitions for `POST /process-definitions/validate` and `POST /process-definitions`:
 * structurally plausible ones (some valid, many wrong in one semantic detail) and hostile YAML.
 */
import fc from 'fast-check';

const ROLES = ['AR', 'SR', 'FR'] as const;
const durations = fc.constantFrom(
  '0s',
  '30s',
  '1h',
  '4h',
  '1d',
  '2d',
  '30d',
  '365d',
  '366d',
  '1y',
  'soon',
  '-1d',
);

function stageArb(keys: string[], i: number) {
  const later = keys.slice(0, i); // onReject goes back, never forward
  return fc.record(
    {
      key: fc.constant(keys[i]),
      name: fc.record({
        en: fc.constantFrom(`Stage ${i}`, ' ', 'x'.repeat(300)),
        zh: fc.constantFrom(`阶段${i}`, '铁三角'),
      }),
      gate: fc.constantFrom('ATI', 'ATB', 'ATC', 'X'),
      approvers: fc.subarray(['AR', 'SR', 'FR', 'manager', 'group:sdt', 'group:nobody-has-it'], {
        minLength: 1,
      }),
      rule: fc.oneof(
        fc.constantFrom('all', 'any', 'most'),
        fc.record({ atLeast: fc.constantFrom(0, 1, 2, 3, 7) }),
        fc.record({ weight: fc.constantFrom(0, 0.5, 0.7, 1, 1.5) }),
      ),
      when: fc.array(
        fc.record({
          if: fc.record({
            valueAtLeast: fc.oneof(
              fc.record({
                amount: fc.constantFrom(0, 700_000, 5_000_000, -1, 1e30),
                currency: fc.constantFrom('CNY', 'USD', 'EUR', 'ZZZ', 'usd'),
              }),
              fc.constantFrom(5_000_000),
            ),
          }),
          add: fc.subarray(['manager', 'group:sdt', 'AR'], { minLength: 1 }),
        }),
        { maxLength: 2 },
      ),
      sla: fc.record(
        {
          within: durations,
          remind: fc.array(durations, { maxLength: 3 }),
          escalate: fc.array(
            fc.record(
              {
                after: durations,
                notify: fc.subarray(['manager', 'manager+1', 'group:sdt', 'FR'], { minLength: 1 }),
                action: fc.constantFrom('approve', 'reject', 'explode'),
              },
              { requiredKeys: ['after', 'notify'] },
            ),
            { maxLength: 3 },
          ),
        },
        { requiredKeys: ['within'] },
      ),
      weights: fc.oneof(
        fc.constant({ AR: 0.4, SR: 0.3, FR: 0.3 }),
        fc.record({
          AR: fc.double({ min: 0, max: 1, noNaN: true }),
          SR: fc.constant(0.5),
          FR: fc.constant(0.5),
        }),
      ),
      onReject: fc.constantFrom('lost', ...later, 'nowhere'),
    },
    { requiredKeys: ['key', 'name', 'approvers', 'rule', 'sla'] },
  );
}

/** A definition with 1 to 5 stages under one of the given keys. */
export function definitionArb(keys: string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(fc.constantFrom(...keys), fc.integer({ min: 1, max: 5 })).chain(([key, n]) => {
    const stageKeys = Array.from({ length: n }, (_, i) => `s${i}`);
    return fc.record(
      {
        key: fc.constant(key),
        name: fc.constant({ en: 'Fuzzed process', zh: '模糊测试流程' }),
        currencies: fc.subarray(['CNY', 'USD', 'EUR', 'XXX'], { minLength: 1 }),
        separationOfDuties: fc.record({
          allowSamePerson: fc.subarray([
            ['SR', 'FR'],
            ['AR', 'SR'],
            ['AR', 'AR'],
            ['AR', 'manager'],
          ]),
        }),
        stages: fc.tuple(...stageKeys.map((_, i) => stageArb(stageKeys, i))),
      },
      { requiredKeys: ['key', 'name', 'stages'] },
    );
  });
}

/** A valid one-stage definition, the seed that field mutations break. */
export function minimalDefinition(key: string) {
  return {
    key,
    name: { en: 'Fuzz', zh: '模糊' },
    currencies: ['CNY', 'USD'],
    stages: [
      {
        key: 'only',
        name: { en: 'Only', zh: '唯一' },
        approvers: [...ROLES],
        rule: 'all',
        sla: { within: '30d' },
        weights: { AR: 0.4, SR: 0.3, FR: 0.3 },
      },
    ],
  };
}

/** YAML that is wrong as YAML or as a document: bombs, tags, duplicate keys, tabs, depth. */
export const HOSTILE_YAML = [
  '',
  '---\n...\n',
  'key: [unclosed',
  'key: a\nkey: b\n',
  '\tkey: tabbed',
  'a: &a ["x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d]\n',
  '!!js/function "function(){}"',
  'key: !!binary aGVsbG8=',
  '--- a\n--- b\n',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  'key: "\\0"\nname: {en: "\\ud800", zh: x}\nstages: []\n',
  '? [complex, key]\n: value\n',
  '<<: *undefined_alias',
  'key: ltc\u0000standard',
  'stages:\n  - key: a\n    name: {en: A, zh: A}\n    approvers: [AR]\n    rule: all\n    sla: {within: 1d}\n'.repeat(
    60,
  ),
];
