import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat, parseDefinitionText } from '../../definitions/parse';
import { formatIssuePath, validateProcessDefinition } from '../../definitions/validate';
import type { ProcessDefinition, StageDefinition, ValidationIssue } from '../../domain/process/types';
import { BEYOND_LIMITS, many } from '../definition-limits';

const stage = (key: string, extra: Partial<StageDefinition> = {}): StageDefinition => ({
  key,
  name: { en: key.toUpperCase(), zh: key },
  approvers: ['AR', 'SR', 'FR'],
  rule: 'all',
  sla: {
    within: '3d',
    remind: ['1d', '4h'],
    escalate: [
      { after: '0s', notify: ['manager'] },
      { after: '1d', notify: ['manager+1'] },
      { after: '3d', notify: ['group:sdt'] },
    ],
  },
  weights: { AR: 0.5, SR: 0.3, FR: 0.2 },
  ...extra,
});

const valid = (): ProcessDefinition => ({
  key: 'test-process',
  name: { en: 'Test', zh: '测试' },
  stages: [
    stage('one'),
    stage('two', { gate: 'ATI', onReject: 'one' }),
    stage('three', { onReject: 'lost' }),
  ],
});

/** Mutates a fresh valid definition (as plain JSON, so invalid shapes are allowed). */
// biome-ignore lint/suspicious/noExplicitAny: tests build deliberately malformed definitions
function withChange(change: (def: any) => void): unknown {
  const def = JSON.parse(JSON.stringify(valid()));
  change(def);
  return def;
}

function errorsOf(input: unknown, opts?: { knownGroups?: string[] }): ValidationIssue[] {
  const result = validateProcessDefinition(input, opts);
  if (result.ok) throw new Error('expected validation to fail');
  return result.errors;
}

function pathsOf(input: unknown, opts?: { knownGroups?: string[] }): string[] {
  return errorsOf(input, opts).map((e) => e.path);
}

describe('formatIssuePath', () => {
  test('brackets indexes and dots keys', () => {
    expect(formatIssuePath(['stages', 3, 'sla', 'remind', 0])).toBe('stages[3].sla.remind[0]');
    expect(formatIssuePath([])).toBe('');
    expect(formatIssuePath([0, 'a'])).toBe('[0].a');
  });
});

describe('validateProcessDefinition: valid input', () => {
  test('accepts a valid definition and returns it typed, without warnings', () => {
    const result = validateProcessDefinition(valid(), { knownGroups: ['sdt'] });
    expect(result).toEqual({ ok: true, definition: valid(), warnings: [] });
  });

  test('the default file processes/ltc-standard.yaml validates with knownGroups [sdt] and has the 12 stages in order', () => {
    const text = readFileSync(join(__dirname, '../../processes/ltc-standard.yaml'), 'utf8');
    const parsed = parseDefinitionText(text, 'yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const result = validateProcessDefinition(parsed.value, { knownGroups: ['sdt'] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.warnings).toEqual([]);
    expect(result.definition.key).toBe('ltc-standard');
    expect(result.definition.stages.map((s) => s.key)).toEqual([
      'lead',
      'ati',
      'solution',
      'atb',
      'bid',
      'negotiation',
      'atc',
      'handover',
      'delivery',
      'acceptance',
      'collection',
      'close',
    ]);
    const byKey = new Map(result.definition.stages.map((s) => [s.key, s]));
    for (const gate of ['ati', 'atb', 'atc']) {
      const s = byKey.get(gate)!;
      expect(s.gate).toBe(gate.toUpperCase());
      expect(s.rule).toBe('all');
      expect([...s.approvers].sort()).toEqual(['AR', 'FR', 'SR']);
      expect(s.when).toEqual([
        { if: { valueAtLeast: { amount: 5000000, currency: 'CNY' } }, add: ['manager'] },
        { if: { valueAtLeast: { amount: 700000, currency: 'USD' } }, add: ['manager'] },
      ]);
      expect(s.sla.escalate!.at(-1)!.notify).toContain('group:sdt');
    }
    expect(byKey.get('ati')!.onReject).toBe('lost');
    expect(byKey.get('atb')!.onReject).toBe('solution');
    expect(byKey.get('atc')!.onReject).toBe('negotiation');
    for (const s of result.definition.stages.slice(1)) expect(s.approvers).toContain('FR');
    const leads: Record<string, 'AR' | 'SR' | 'FR'> = {
      lead: 'AR',
      solution: 'SR',
      bid: 'SR',
      negotiation: 'AR',
      handover: 'FR',
      delivery: 'FR',
      acceptance: 'FR',
      collection: 'AR',
    };
    for (const [key, role] of Object.entries(leads)) {
      const weights = byKey.get(key)!.weights;
      const top = Math.max(...Object.values(weights).map((w) => w ?? 0));
      expect(weights[role]).toBe(top);
    }
    for (const s of result.definition.stages) {
      for (const level of s.sla.escalate ?? []) expect(level.action).toBeUndefined();
    }
  });
});

describe('validateProcessDefinition: structure', () => {
  test('a non-object input is a root error', () => {
    expect(pathsOf('hello')).toEqual(['']);
    expect(pathsOf(null)).toEqual(['']);
  });

  test('unknown fields are reported at their path', () => {
    expect(pathsOf(withChange((d) => (d.stages[1].sla.remindr = ['1d'])))).toEqual(['stages[1].sla.remindr']);
    expect(pathsOf(withChange((d) => (d.extra = 1)))).toEqual(['extra']);
  });

  test('keys must match [a-z0-9-]+', () => {
    expect(pathsOf(withChange((d) => (d.key = 'Bad Key')))).toEqual(['key']);
    expect(pathsOf(withChange((d) => (d.stages[2].key = 'Three')))).toEqual(['stages[2].key']);
  });

  test('names need non-empty en and zh', () => {
    expect(pathsOf(withChange((d) => (d.name = { en: 'x', zh: ' ' })))).toEqual(['name.zh']);
    expect(pathsOf(withChange((d) => delete d.stages[0].name.en))).toEqual(['stages[0].name.en']);
  });

  test('approvers must be AR|SR|FR|manager|group:<name>', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].approvers = ['AR', 'boss', 'group:Bad'])))).toEqual([
      'stages[0].approvers[1]',
      'stages[0].approvers[2]',
    ]);
  });

  test('rule must be one of the forms, with nested issues at their path', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].rule = 'most'))).toString()).toBe('stages[0].rule');
    expect(pathsOf(withChange((d) => (d.stages[0].rule = { atLeast: 1.5 })))).toEqual([
      'stages[0].rule.atLeast',
    ]);
  });

  test('escalation targets and actions are checked', () => {
    const paths = pathsOf(
      withChange((d) => {
        d.stages[0].sla.escalate[1].notify = ['manager+2'];
        d.stages[0].sla.escalate[2].action = 'ignore';
      }),
    );
    expect(paths).toEqual(['stages[0].sla.escalate[1].notify[0]', 'stages[0].sla.escalate[2].action']);
  });

  test('weights must be numbers in [0, 1]', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].weights = { AR: 1.5, SR: -0.5, FR: 0 })))).toEqual([
      'stages[0].weights.AR',
      'stages[0].weights.SR',
    ]);
  });

  test('durations must be strings', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].sla.within = 3)))).toEqual(['stages[0].sla.within']);
  });
});

describe('validateProcessDefinition: semantic rules', () => {
  test('no stages → stages', () => {
    expect(pathsOf(withChange((d) => (d.stages = [])))).toEqual(['stages']);
  });

  test('duplicate stage key → stages[i].key', () => {
    expect(pathsOf(withChange((d) => (d.stages[2].key = 'one')))).toEqual(['stages[2].key']);
  });

  test('a stage may not be called lost → stages[i].key', () => {
    expect(pathsOf(withChange((d) => (d.stages[2].key = 'lost')))).toEqual(['stages[2].key']);
  });

  test('duplicate approver → stages[i].approvers[j]', () => {
    expect(pathsOf(withChange((d) => (d.stages[1].approvers = ['AR', 'SR', 'FR', 'SR'])))).toEqual([
      'stages[1].approvers[3]',
    ]);
  });

  test('onReject to an unknown stage → stages[i].onReject', () => {
    expect(pathsOf(withChange((d) => (d.stages[1].onReject = 'nowhere')))).toEqual(['stages[1].onReject']);
  });

  test('onReject forward → stages[i].onReject; itself, earlier and lost are allowed', () => {
    expect(pathsOf(withChange((d) => (d.stages[1].onReject = 'three')))).toEqual(['stages[1].onReject']);
    for (const target of ['one', 'two', 'lost']) {
      const input = withChange((d) => (d.stages[1].onReject = target));
      expect(validateProcessDefinition(input).ok).toBe(true);
    }
  });

  test('weights not summing to 1 → stages[i].weights', () => {
    expect(pathsOf(withChange((d) => (d.stages[2].weights = { AR: 0.5, SR: 0.3, FR: 0.1 })))).toEqual([
      'stages[2].weights',
    ]);
    const withinTolerance = withChange((d) => (d.stages[2].weights = { AR: 0.5, SR: 0.3, FR: 0.2005 }));
    expect(validateProcessDefinition(withinTolerance).ok).toBe(true);
  });

  test('a weight naming another role → stages[i].weights.<KEY>', () => {
    const errors = errorsOf(withChange((d) => (d.stages[1].weights = { AR: 0.5, SR: 0.3, manager: 0.2 })));
    expect(errors.map((e) => e.path)).toEqual(['stages[1].weights.manager']);
    expect(errors[0].message).toMatch(/triangle role/);
  });

  test('empty approver list → stages[i].approvers', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].approvers = []))).sort()).toEqual(['stages[0].approvers']);
  });

  test('empty when.add → stages[i].when[k].add', () => {
    const input = withChange((d) => {
      d.stages[1].when = [
        { if: { valueAtLeast: { amount: 1, currency: 'CNY' } }, add: ['manager'] },
        { if: { valueAtLeast: { amount: 2, currency: 'CNY' } }, add: [] },
      ];
    });
    expect(pathsOf(input)).toEqual(['stages[1].when[1].add']);
  });

  test('atLeast larger than the base approvers → stages[i].rule.atLeast', () => {
    const input = withChange((d) => {
      d.stages[0].rule = { atLeast: 4 };
      d.stages[0].when = [{ if: { valueAtLeast: { amount: 1, currency: 'CNY' } }, add: ['manager'] }];
    });
    expect(pathsOf(input)).toEqual(['stages[0].rule.atLeast']);
    expect(validateProcessDefinition(withChange((d) => (d.stages[0].rule = { atLeast: 3 }))).ok).toBe(true);
  });

  test('atLeast below 1 → stages[i].rule.atLeast', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].rule = { atLeast: 0 })))).toEqual([
      'stages[0].rule.atLeast',
    ]);
  });

  test('weight threshold outside (0, 1] → stages[i].rule.weight', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].rule = { weight: 0 })))).toEqual(['stages[0].rule.weight']);
    expect(pathsOf(withChange((d) => (d.stages[0].rule = { weight: 1.2 })))).toEqual([
      'stages[0].rule.weight',
    ]);
    expect(validateProcessDefinition(withChange((d) => (d.stages[0].rule = { weight: 1 }))).ok).toBe(true);
  });

  test('a weight rule without triangle-role approvers → stages[i].rule.weight', () => {
    const input = withChange((d) => {
      d.stages[0].approvers = ['manager', 'group:sdt'];
      d.stages[0].rule = { weight: 0.5 };
    });
    expect(pathsOf(input)).toEqual(['stages[0].rule.weight']);
  });

  test('a weight threshold the approvers cannot reach → stages[i].rule.weight', () => {
    const input = withChange((d) => {
      d.stages[0].approvers = ['SR', 'FR'];
      d.stages[0].rule = { weight: 0.6 };
    });
    expect(pathsOf(input)).toEqual(['stages[0].rule.weight']);
  });

  test('malformed within → stages[i].sla.within', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].sla.within = '3 days')))).toEqual(['stages[0].sla.within']);
  });

  test('malformed reminder → stages[i].sla.remind[j]', () => {
    expect(pathsOf(withChange((d) => (d.stages[2].sla.remind = ['1d', 'soon'])))).toEqual([
      'stages[2].sla.remind[1]',
    ]);
  });

  test('malformed escalation after → stages[i].sla.escalate[k].after', () => {
    expect(pathsOf(withChange((d) => (d.stages[1].sla.escalate[1].after = 'P')))).toEqual([
      'stages[1].sla.escalate[1].after',
    ]);
  });

  test('zero within → stages[i].sla.within', () => {
    const input = withChange((d) => {
      d.stages[0].sla.within = '0s';
      d.stages[0].sla.remind = [];
    });
    expect(pathsOf(input)).toEqual(['stages[0].sla.within']);
  });

  test('zero reminder → stages[i].sla.remind[j]', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].sla.remind = ['1d', 'PT0S'])))).toEqual([
      'stages[0].sla.remind[1]',
    ]);
  });

  test('escalation after may be 0s', () => {
    const result = validateProcessDefinition(withChange((d) => (d.stages[0].sla.escalate[0].after = '0s')));
    expect(result.ok).toBe(true);
  });

  test('a reminder not shorter than within → stages[i].sla.remind[j]', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].sla.remind = ['3d', '1d'])))).toEqual([
      'stages[0].sla.remind[0]',
    ]);
    expect(pathsOf(withChange((d) => (d.stages[0].sla.remind = ['P1W'])))).toEqual([
      'stages[0].sla.remind[0]',
    ]);
  });

  test('escalation levels not strictly ascending → stages[i].sla.escalate[k].after', () => {
    const input = withChange((d) => {
      d.stages[2].sla.escalate[1].after = '0s';
    });
    expect(pathsOf(input)).toEqual(['stages[2].sla.escalate[1].after']);
    const descending = withChange((d) => {
      d.stages[2].sla.escalate[2].after = '12h';
    });
    expect(pathsOf(descending)).toEqual(['stages[2].sla.escalate[2].after']);
  });

  test('an escalation level without targets or action → stages[i].sla.escalate[k].notify', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].sla.escalate[2].notify = [])))).toEqual([
      'stages[0].sla.escalate[2].notify',
    ]);
    const withAction = withChange((d) => {
      d.stages[0].sla.escalate[2].notify = [];
      d.stages[0].sla.escalate[2].action = 'reject';
    });
    expect(validateProcessDefinition(withAction).ok).toBe(true);
  });

  test('unknown groups are errors only when knownGroups is given, at the path of each entry', () => {
    const input = withChange((d) => {
      d.stages[0].approvers = ['AR', 'group:legal'];
      d.stages[0].rule = 'any';
      d.stages[1].when = [{ if: { valueAtLeast: { amount: 1, currency: 'CNY' } }, add: ['group:finance'] }];
      d.stages[2].sla.escalate[2].notify = ['group:sdt', 'group:board'];
    });
    expect(validateProcessDefinition(input).ok).toBe(true);
    expect(pathsOf(input, { knownGroups: ['sdt'] })).toEqual([
      'stages[0].approvers[1]',
      'stages[1].when[0].add[0]',
      'stages[2].sla.escalate[2].notify[1]',
    ]);
    expect(validateProcessDefinition(input, { knownGroups: ['sdt', 'legal', 'finance', 'board'] }).ok).toBe(
      true,
    );
  });

  test('collects all errors, not just the first', () => {
    const input = withChange((d) => {
      d.stages[0].sla.within = 'x';
      d.stages[1].onReject = 'three';
      d.stages[2].weights = { AR: 1, SR: 1 };
      d.stages[2].key = 'one';
    });
    expect(pathsOf(input).sort()).toEqual(
      ['stages[0].sla.within', 'stages[1].onReject', 'stages[2].key', 'stages[2].weights'].sort(),
    );
  });
});

describe('validateProcessDefinition: warnings', () => {
  function warningsOf(input: unknown) {
    const result = validateProcessDefinition(input);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.warnings.map((w) => w.path);
  }

  test('a stage without escalation levels', () => {
    expect(warningsOf(withChange((d) => delete d.stages[1].sla.escalate))).toEqual([
      'stages[1].sla.escalate',
    ]);
  });

  test('reminders not in descending order', () => {
    expect(warningsOf(withChange((d) => (d.stages[0].sla.remind = ['4h', '1d'])))).toEqual([
      'stages[0].sla.remind',
    ]);
  });

  test('a conditional approver already among the approvers', () => {
    const input = withChange(
      (d) => (d.stages[0].when = [{ if: { valueAtLeast: { amount: 1, currency: 'CNY' } }, add: ['AR'] }]),
    );
    expect(warningsOf(input)).toEqual(['stages[0].when[0].add[0]']);
  });
});

describe('parseDefinitionText', () => {
  test('YAML nested deeper than 64 flow levels is refused before parsing (a 1 MB body of brackets)', () => {
    const deep = (n: number) => `a: ${'['.repeat(n)}${']'.repeat(n)}`;
    expect(parseDefinitionText(deep(64), 'yaml').ok).toBe(true);
    expect(parseDefinitionText(deep(65), 'yaml')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'invalid YAML: nested deeper than 64 levels' }],
    });
    expect(parseDefinitionText(deep(500_000), 'yaml').ok).toBe(false);
    // Brackets inside quoted scalars are text, not nesting.
    expect(parseDefinitionText(`a: "${'['.repeat(100)}"`, 'yaml').ok).toBe(true);
  });

  test('YAML: durations stay strings, numbers are numbers', () => {
    const result = parseDefinitionText(
      'a: 0s\nb: [1d, 2h, 30s, PT4H]\nc: 0.5\nd: 5000000\ne: on\nf: yes\n',
      'yaml',
    );
    expect(result).toEqual({
      ok: true,
      value: { a: '0s', b: ['1d', '2h', '30s', 'PT4H'], c: 0.5, d: 5000000, e: 'on', f: 'yes' },
    });
  });

  test('JSON', () => {
    expect(parseDefinitionText('{"a": [1, "1d"]}', 'json')).toEqual({ ok: true, value: { a: [1, '1d'] } });
  });

  test('auto picks JSON for { or [ and YAML otherwise', () => {
    expect(detectFormat('  {"a":1}')).toBe('json');
    expect(detectFormat('a: 1')).toBe('yaml');
    expect(parseDefinitionText('key: x', 'auto')).toEqual({ ok: true, value: { key: 'x' } });
    expect(parseDefinitionText('\n{"key": "x"}', 'auto')).toEqual({ ok: true, value: { key: 'x' } });
  });

  test('syntax errors are root issues', () => {
    const yaml = parseDefinitionText('a: [1, 2\nb: 3', 'yaml');
    expect(yaml.ok).toBe(false);
    if (!yaml.ok)
      expect(yaml.errors[0]).toEqual({ path: '', message: expect.stringMatching(/^invalid YAML/) });
    const json = parseDefinitionText('{"a":', 'json');
    expect(json.ok).toBe(false);
    if (!json.ok) expect(json.errors[0].message).toMatch(/^invalid JSON/);
  });

  test('duplicate YAML keys are errors', () => {
    expect(parseDefinitionText('a: 1\na: 2\n', 'yaml').ok).toBe(false);
  });

  test('empty documents and multiple documents are errors', () => {
    expect(parseDefinitionText('', 'yaml').ok).toBe(false);
    expect(parseDefinitionText('# only a comment\n', 'yaml').ok).toBe(false);
    expect(parseDefinitionText('a: 1\n---\nb: 2\n', 'yaml').ok).toBe(false);
  });
});

describe('validateProcessDefinition: limits', () => {
  test.each(BEYOND_LIMITS)('%s → an error at its path', (_what, change, path, message) => {
    expect(errorsOf(withChange(change))).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  test('exactly at each cap is valid', () => {
    const input = withChange((d) => {
      d.stages = [...d.stages, ...many(47, (i) => stage(`extra${i}`))];
      d.stages[0].sla.remind = many(10, (i) => `${10 - i}m`);
      d.stages[0].sla.escalate = many(10, (i) => ({ after: `${i}d`, notify: ['manager'] }));
    });
    const result = validateProcessDefinition(input, { knownGroups: ['sdt'] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.definition.stages).toHaveLength(50);
  });

  test('durations are capped at one year (365d) by path', () => {
    const input = withChange((d) => {
      d.stages[0].sla.within = '366d';
      d.stages[1].sla.within = '53w';
      d.stages[1].sla.remind = ['1d'];
      d.stages[2].sla.escalate = [{ after: 'P400D', notify: ['manager'] }];
    });
    expect(errorsOf(input)).toEqual([
      { path: 'stages[0].sla.within', message: '366d is longer than the limit of 365d (one year)' },
      { path: 'stages[1].sla.within', message: '53w is longer than the limit of 365d (one year)' },
      {
        path: 'stages[2].sla.escalate[0].after',
        message: 'P400D is longer than the limit of 365d (one year)',
      },
    ]);
    expect(validateProcessDefinition(withChange((d) => (d.stages[0].sla.within = '365d'))).ok).toBe(true);
  });

  test('a reminder beyond a year is refused even when within is also too long', () => {
    expect(pathsOf(withChange((d) => (d.stages[0].sla = { within: '2000d', remind: ['1000d'] })))).toEqual([
      'stages[0].sla.within',
      'stages[0].sla.remind[0]',
    ]);
  });
});

describe('validateProcessDefinition: text Postgres cannot store', () => {
  test.each([
    ['a NUL in a stage name', withChange((d) => (d.stages[1].name.zh = 'a\u0000b')), 'stages[1].name.zh'],
    ['a lone surrogate in the gate', withChange((d) => (d.stages[1].gate = 'AT\uD800')), 'stages[1].gate'],
    ['a NUL in an unknown field', withChange((d) => (d.stages[0].note = '\u0000')), 'stages[0].note'],
    [
      'a NUL in a field name',
      withChange((d) => (d.stages[0].sla['re\u0000mind'] = [])),
      'stages[0].sla.re\u0000mind',
    ],
  ])('%s → one error at its path', (_what, input, path) => {
    expect(errorsOf(input)).toEqual([{ path, message: expect.stringMatching(/NUL \(U\+0000\)/) }]);
  });
});

describe('validateProcessDefinition: value thresholds and currencies', () => {
  const cny = (amount: number) => ({ if: { valueAtLeast: { amount, currency: 'CNY' } }, add: ['manager'] });

  test('the legacy bare number is refused with the form to write instead', () => {
    expect(
      errorsOf(withChange((d) => (d.stages[1].when = [{ if: { valueAtLeast: 5000000 }, add: ['manager'] }]))),
    ).toEqual([
      {
        path: 'stages[1].when[0].if.valueAtLeast',
        message:
          'a threshold must name its currency: write { amount: 5000000, currency: CNY } (a bare number would compare amounts in any currency)',
      },
    ]);
  });

  test('threshold amount and currency are checked', () => {
    const input = withChange((d) => {
      d.stages[0].when = [
        { if: { valueAtLeast: { amount: 1e18, currency: 'CNY' } }, add: ['manager'] },
        { if: { valueAtLeast: { amount: 1.001, currency: 'XXZ' } }, add: ['manager'] },
      ];
    });
    expect(pathsOf(input)).toEqual([
      'stages[0].when[0].if.valueAtLeast.amount',
      'stages[0].when[1].if.valueAtLeast.amount',
      'stages[0].when[1].if.valueAtLeast.currency',
    ]);
  });

  test('currencies: known codes, listed once, each covered by every stage with conditions', () => {
    const input = withChange((d) => {
      d.currencies = ['CNY', 'USD', 'CNY', 'ABC'];
      d.stages[0].when = [cny(1)];
    });
    expect(pathsOf(input)).toEqual(['currencies[2]', 'currencies[3]', 'stages[0].when', 'stages[0].when']);
    expect(pathsOf(withChange((d) => (d.currencies = [])))).toEqual(['currencies']);
  });

  test('stages with conditions must agree on their currencies', () => {
    const input = withChange((d) => {
      d.stages[0].when = [cny(1)];
      d.stages[2].when = [cny(1), { if: { valueAtLeast: { amount: 1, currency: 'USD' } }, add: ['manager'] }];
    });
    expect(pathsOf(input)).toEqual(['stages[0].when']);
  });

  test('a valid definition with currencies and thresholds', () => {
    const input = withChange((d) => {
      d.currencies = ['CNY'];
      d.stages[0].when = [cny(5_000_000)];
    });
    expect(validateProcessDefinition(input).ok).toBe(true);
  });
});

describe('validateProcessDefinition: separation of duties', () => {
  test('allowed pairs name two different triangle roles, each pair once', () => {
    expect(
      validateProcessDefinition(
        withChange((d) => (d.separationOfDuties = { allowSamePerson: [['SR', 'FR']] })),
      ).ok,
    ).toBe(true);
    const input = withChange(
      (d) =>
        (d.separationOfDuties = {
          allowSamePerson: [
            ['SR', 'FR'],
            ['AR', 'AR'],
            ['FR', 'SR'],
          ],
        }),
    );
    expect(errorsOf(input)).toEqual([
      {
        path: 'separationOfDuties.allowSamePerson[1]',
        message: 'a pair needs two different roles (got AR twice)',
      },
      {
        path: 'separationOfDuties.allowSamePerson[2]',
        message: 'FR and SR are already paired at allowSamePerson[0]',
      },
    ]);
  });

  test('only triangle roles, in pairs, with no other field', () => {
    expect(
      pathsOf(withChange((d) => (d.separationOfDuties = { allowSamePerson: [['SR', 'manager']] }))),
    ).toEqual(['separationOfDuties.allowSamePerson[0][1]']);
    expect(pathsOf(withChange((d) => (d.separationOfDuties = { allowSamePerson: [['SR']] })))).toEqual([
      'separationOfDuties.allowSamePerson[0]',
    ]);
    expect(pathsOf(withChange((d) => (d.separationOfDuties = { allow: [] })))).toEqual([
      'separationOfDuties.allowSamePerson',
      'separationOfDuties.allow',
    ]);
  });
});
