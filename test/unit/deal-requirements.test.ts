import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validateProcessDefinition } from '../../definitions/validate';
import { decisionChain, roleHoldings, teamConflicts } from '../../domain/account';
import { checkRequirements, evidenceProblem, NO_EVIDENCE } from '../../domain/deal/requirements';
import type { ProcessDefinition } from '../../domain/process/types';

const evidence = (over: Partial<typeof NO_EVIDENCE> = {}) => ({ ...NO_EVIDENCE, at: 1, ...over });

describe('stage requirements', () => {
  const stage = {
    requires: [
      { decisionChain: { roles: ['decision_maker' as const, 'buyer' as const], minKnownStance: 1 } },
      { field: { path: 'deal.expectedCloseDate' as const } },
      { attachment: { kind: 'margin-sheet' } },
    ],
  };

  it('lists each requirement as met or missing', () => {
    expect(checkRequirements(stage, NO_EVIDENCE).map((c) => c.met)).toEqual([false, false, false]);
    const some = evidence({ knownStance: { decision_maker: 1 }, fields: ['deal.expectedCloseDate'] });
    expect(checkRequirements(stage, some).map((c) => c.met)).toEqual([false, true, false]);
    const all = evidence({
      knownStance: { decision_maker: 2, buyer: 1 },
      fields: ['deal.expectedCloseDate'],
      attachments: ['margin-sheet'],
    });
    expect(checkRequirements(stage, all).map((c) => c.met)).toEqual([true, true, true]);
    expect(checkRequirements({}, all)).toEqual([]);
  });

  it('refuses evidence of the wrong shape (the Update validator)', () => {
    expect(evidenceProblem(evidence())).toBeNull();
    expect(evidenceProblem(null)).toMatch(/object/);
    expect(evidenceProblem({ ...evidence(), knownStance: { decision_maker: -1 } })).toMatch(/whole numbers/);
    expect(evidenceProblem({ ...evidence(), attachments: ['a\u0000'] })).toMatch(/short names/);
    expect(evidenceProblem({ ...evidence(), fields: new Array(101).fill('x') })).toMatch(/at most 100/);
  });
});

describe('process definitions: requires', () => {
  const base: ProcessDefinition = {
    key: 'req',
    name: { en: 'R', zh: 'R' },
    stages: [
      {
        key: 'one',
        name: { en: 'One', zh: '一' },
        approvers: ['AR'],
        rule: 'all',
        sla: { within: '1d' },
        weights: { AR: 1 },
      },
    ],
  };
  const withRequires = (requires: unknown) =>
    validateProcessDefinition({ ...base, stages: [{ ...base.stages[0], requires }] });

  it('accepts each kind', () => {
    const r = withRequires([
      { decisionChain: { roles: ['decision_maker', 'buyer'], minKnownStance: 1 } },
      { field: { path: 'deal.expectedCloseDate' } },
      { attachment: { kind: 'margin-sheet' } },
    ]);
    expect(r.ok).toBe(true);
  });

  it('names the path of each mistake', () => {
    const r = withRequires([
      { decisionChain: { roles: ['boss'], minKnownStance: 0 } },
      { field: { path: 'deal.colour' } },
      { attachment: { kind: 'Margin Sheet' } },
      { attachment: { kind: 'a' }, field: { path: 'account.region' } },
      { something: 1 },
    ]);
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'stages[0].requires[0].decisionChain.roles[0]',
        'stages[0].requires[0].decisionChain.minKnownStance',
        'stages[0].requires[1].field.path',
        'stages[0].requires[2].attachment.kind',
        'stages[0].requires[3]',
        'stages[0].requires[4].something',
      ]),
    );
  });

  it('bounds the list', () => {
    const r = withRequires(new Array(11).fill({ attachment: { kind: 'x' } }));
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['stages[0].requires']);
  });

  it('ltc-standard version 3 is version 2 with evidence at ATI, ATB and ATC', () => {
    const load = (file: string) => {
      const r = validateProcessDefinition(
        parseYaml(readFileSync(join(__dirname, '../../processes', file), 'utf8')),
        {
          knownGroups: ['sdt'],
        },
      );
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.definition;
    };
    const v2 = load('ltc-standard.yaml');
    const v3 = load('ltc-standard.v3.yaml');
    expect(v3.stages.map(({ requires: _r, ...s }) => s)).toEqual(v2.stages);
    expect(Object.fromEntries(v3.stages.filter((s) => s.requires).map((s) => [s.gate, s.requires]))).toEqual({
      ATI: [{ decisionChain: { roles: ['decision_maker'], minKnownStance: 1 } }],
      ATB: [{ attachment: { kind: 'margin-sheet' } }],
      ATC: [{ attachment: { kind: 'contract-draft' } }],
    });
  });
});

describe('accounts', () => {
  it('the account team is three people', () => {
    expect(teamConflicts({ AR: 'a', SR: 'b', FR: null })).toEqual([]);
    expect(teamConflicts({ AR: 'a', SR: 'b', FR: 'a' })).toEqual([{ role: 'FR', sameAs: 'AR', userId: 'a' }]);
  });

  it('the decision chain lists every buying role, most influential first', () => {
    const c = (id: string, buyingRole: 'decision_maker' | 'buyer', influence: number) => ({
      id,
      name: id,
      title: null,
      buyingRole,
      stance: 'unknown' as const,
      influence,
      ownerId: null,
    });
    const chain = decisionChain([c('x', 'buyer', 2), c('y', 'decision_maker', 3), c('z', 'buyer', 5)]);
    expect(chain.map((r) => [r.role, r.contacts.map((x) => x.id)])).toEqual([
      ['decision_maker', ['y']],
      ['influencer', []],
      ['user', []],
      ['gatekeeper', []],
      ['buyer', ['z', 'x']],
    ]);
  });

  it('role holdings over time come from the creation and each reassignment', () => {
    const h = roleHoldings([
      { type: 'deal.created', at: 't0', data: { triangle: { AR: 'a', SR: 's', FR: 'f' } } },
      { type: 'role.reassigned', at: 't1', data: { role: 'SR', from: 's', to: 's2', reason: 'left' } },
    ]);
    expect(h).toEqual([
      { role: 'AR', userId: 'a', since: 't0', until: null, reason: null },
      { role: 'SR', userId: 's', since: 't0', until: 't1', reason: null },
      { role: 'FR', userId: 'f', since: 't0', until: null, reason: null },
      { role: 'SR', userId: 's2', since: 't1', until: null, reason: 'left' },
    ]);
  });
});
