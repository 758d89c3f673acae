import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDefinitionText } from '../../definitions/parse';
import { type CreditStage, creditForDeal, mergeCredit } from '../../domain/deal/credit';
import type { ProcessDefinition } from '../../domain/process/types';

const H = { AR: 'alice', SR: 'sam', FR: 'fred' };

const st = (
  stageKey: string,
  weights: CreditStage['weights'],
  holders: Partial<CreditStage['holders']> = {},
): CreditStage => ({ stageKey, weights, holders: { ...H, ...holders } });

const total = (credit: Record<string, number>) =>
  Math.round(Object.values(credit).reduce((a, b) => a + b, 0) * 100) / 100;

function loadStandard(): ProcessDefinition {
  const text = readFileSync(join(__dirname, '../../processes/ltc-standard.yaml'), 'utf8');
  const parsed = parseDefinitionText(text, 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value as ProcessDefinition;
}

describe('creditForDeal', () => {
  it('splits one stage by its role weights', () => {
    expect(creditForDeal(1000, [st('ati', { AR: 0.5, SR: 0.3, FR: 0.2 })])).toEqual({
      alice: 500,
      fred: 200,
      sam: 300,
    });
  });

  it('gives each distinct stage an equal share of the value', () => {
    const credit = creditForDeal(1000, [
      st('lead', { AR: 0.8, SR: 0.2 }),
      st('ati', { AR: 0.5, SR: 0.3, FR: 0.2 }),
    ]);
    // lead: 500 × (0.8, 0.2); ati: 500 × (0.5, 0.3, 0.2)
    expect(credit).toEqual({ alice: 650, fred: 100, sam: 250 });
    expect(total(credit)).toBe(1000);
  });

  it('a reassignment splits a role between the stages each user held it', () => {
    const credit = creditForDeal(900_000, [
      st('a', { AR: 0.5, SR: 0.3, FR: 0.2 }),
      st('b', { AR: 0.5, SR: 0.3, FR: 0.2 }),
      st('c', { AR: 0.5, SR: 0.3, FR: 0.2 }, { SR: 'sue' }), // SR reassigned from sam to sue before c
    ]);
    // 300,000 per stage; SR's 0.3 share: sam 2 stages, sue 1 stage.
    expect(credit).toEqual({ alice: 450_000, fred: 180_000, sam: 180_000, sue: 90_000 });
    expect(total(credit)).toBe(900_000);
  });

  it('a user holding two roles at a stage gets both shares', () => {
    const credit = creditForDeal(1000, [
      st('x', { AR: 0.5, SR: 0.3, FR: 0.2 }, { SR: 'alice' }),
      st('y', { AR: 0.6, SR: 0.4 }),
    ]);
    // x: alice 0.5 + 0.3, fred 0.2; y: alice 0.6, sam 0.4 — 500 per stage.
    expect(credit).toEqual({ alice: 700, fred: 100, sam: 200 });
  });

  it('one user holding all three roles gets the whole value', () => {
    expect(
      creditForDeal(1234.56, [
        st('x', { AR: 0.5, SR: 0.3, FR: 0.2 }, { AR: 'solo', SR: 'solo', FR: 'solo' }),
      ]),
    ).toEqual({
      solo: 1234.56,
    });
  });

  it('counts a reworked stage once, using its last visit', () => {
    const w = { AR: 0.5, SR: 0.5 };
    // Approved visits: lead, solution#1, (atb#1 rejected → back to solution), solution#2, atb#2.
    const credit = creditForDeal(1200, [
      st('lead', w),
      st('solution', w), // visit 1, SR sam: superseded by visit 2
      st('solution', w, { SR: 'sue' }), // visit 2, after SR was reassigned to sue
      st('atb', w, { SR: 'sue' }),
    ]);
    // 3 distinct stages → 400 each; SR: sam in lead only, sue in solution and atb.
    expect(credit).toEqual({ alice: 600, sam: 200, sue: 400 });
    expect(total(credit)).toBe(1200);
    // The last entry wins even when the repeats are not adjacent.
    expect(
      creditForDeal(100, [
        st('a', { AR: 1 }, { AR: 'old' }),
        st('b', { AR: 1 }),
        st('a', { AR: 1 }, { AR: 'new' }),
      ]),
    ).toEqual({ alice: 50, new: 50 });
  });

  it('roles without a positive weight earn nothing (and users with nothing are not listed)', () => {
    expect(creditForDeal(100, [st('lead', { AR: 1, SR: 0 })])).toEqual({ alice: 100 });
  });

  it('rounds each user to 2 decimals at the end', () => {
    const credit = creditForDeal(100, [
      st('a', { AR: 1 }, { AR: 'u1' }),
      st('b', { AR: 1 }, { AR: 'u2' }),
      st('c', { AR: 1 }, { AR: 'u3' }),
    ]);
    expect(credit).toEqual({ u1: 33.33, u2: 33.33, u3: 33.33 });
    expect(Math.abs(total(credit) - 100)).toBeLessThanOrEqual(0.01 * 3);
    // 2.01 / 2 = 1.005, which `Math.round(1.005 * 100) / 100` would round down to 1.
    expect(creditForDeal(2.01, [st('a', { AR: 0.5, SR: 0.5 })])).toEqual({ alice: 1.01, sam: 1.01 });
    // Rounding happens once, not per stage: 3 × (10 / 3 × 0.5) = 5 exactly.
    expect(
      creditForDeal(10, [
        st('a', { AR: 0.5, FR: 0.5 }),
        st('b', { AR: 0.5, FR: 0.5 }),
        st('c', { AR: 0.5, FR: 0.5 }),
      ]),
    ).toEqual({
      alice: 5,
      fred: 5,
    });
  });

  it('no stages, no credit; a zero value gives zeros', () => {
    expect(creditForDeal(1000, [])).toEqual({});
    expect(creditForDeal(0, [st('a', { AR: 0.5, SR: 0.5 })])).toEqual({ alice: 0, sam: 0 });
  });

  it('does not depend on the order of distinct stages', () => {
    const a = st('a', { AR: 0.7, FR: 0.3 });
    const b = st('b', { SR: 0.6, FR: 0.4 }, { FR: 'fay' });
    expect(creditForDeal(777, [a, b])).toEqual(creditForDeal(777, [b, a]));
  });

  it('with weights summing to 1 the total is the value: all 12 stages of ltc-standard', () => {
    const def = loadStandard();
    const stages = def.stages.map((s) => st(s.key, s.weights));
    const credit = creditForDeal(6_000_000, stages);
    // AR Σ = 4.9, SR Σ = 3.4, FR Σ = 3.7 over 12 stages.
    expect(credit).toEqual({ alice: 2_450_000, fred: 1_850_000, sam: 1_700_000 });
    expect(total(credit)).toBe(6_000_000);

    // FR reassigned from fred to fay from `handover` (index 7) on.
    const split = creditForDeal(
      6_000_000,
      def.stages.map((s, i) => st(s.key, s.weights, i >= 7 ? { FR: 'fay' } : {})),
    );
    // fred: ati .2 + solution .2 + atb .25 + bid .15 + negotiation .2 + atc .35 = 1.35;
    // fay: handover .6 + delivery .6 + acceptance .6 + collection .2 + close .35 = 2.35.
    expect(split).toEqual({ alice: 2_450_000, fay: 1_175_000, fred: 675_000, sam: 1_700_000 });
    expect(total(split)).toBe(6_000_000);
  });

  it('the total stays within a cent per user of an awkward value', () => {
    const def = loadStandard();
    const credit = creditForDeal(
      1_000_000.01,
      def.stages.map((s) => st(s.key, s.weights)),
    );
    expect(Math.abs(total(credit) - 1_000_000.01)).toBeLessThanOrEqual(0.03);
  });
});

describe('mergeCredit', () => {
  it('sums per user across deals', () => {
    expect(mergeCredit({ alice: 650, sam: 250, fred: 100 }, { alice: 100, sue: 50.5 })).toEqual({
      alice: 750,
      fred: 100,
      sam: 250,
      sue: 50.5,
    });
  });

  it('rounds the sums to cents and leaves its inputs alone', () => {
    const a = { u: 0.1 };
    const b = { u: 0.2 };
    expect(mergeCredit(a, b)).toEqual({ u: 0.3 });
    expect(a).toEqual({ u: 0.1 });
    expect(b).toEqual({ u: 0.2 });
  });

  it('merging with nothing is the same credit', () => {
    expect(mergeCredit({}, {})).toEqual({});
    expect(mergeCredit({ alice: 1.25 }, {})).toEqual({ alice: 1.25 });
    expect(mergeCredit({}, { alice: 1.25 })).toEqual({ alice: 1.25 });
  });

  it('adds up two deals credited by creditForDeal', () => {
    const d1 = creditForDeal(1000, [st('x', { AR: 0.5, SR: 0.3, FR: 0.2 })]);
    const d2 = creditForDeal(500, [st('x', { AR: 0.5, SR: 0.3, FR: 0.2 }, { AR: 'sam' })]);
    // d2: sam holds AR and SR → 0.8 × 500 = 400, fred 0.2 × 500 = 100.
    expect(mergeCredit(d1, d2)).toEqual({ alice: 500, fred: 300, sam: 700 });
  });
});
