import {
  approversFor,
  evaluateGate,
  isTriangleRole,
  meetsThreshold,
  undecided,
} from '../../domain/deal/rules';
import type { Decision, RequiredApprover, Signoff } from '../../domain/deal/types';
import type { Approver, StageDefinition } from '../../domain/process/types';

const stage = (extra: Partial<StageDefinition> = {}): StageDefinition => ({
  key: 'gate',
  name: { en: 'Gate', zh: '关口' },
  approvers: ['AR', 'SR', 'FR'],
  rule: 'all',
  sla: { within: '30s' },
  weights: { AR: 0.5, SR: 0.3, FR: 0.2 },
  ...extra,
});

const req = (approver: Approver, userIds: string[], conditional = false): RequiredApprover => ({
  approver,
  userIds,
  conditional,
});

const triangle = (): RequiredApprover[] => [req('AR', ['alice']), req('SR', ['sam']), req('FR', ['fred'])];

const so = (role: Approver, decision: Decision = 'approve', userId = `${role}-user`): Signoff => ({
  role,
  userId,
  actorId: userId,
  decision,
  ...(decision === 'reject' ? { comment: 'no' } : {}),
  at: '2025-01-01T00:00:00.000Z',
});

describe('isTriangleRole', () => {
  it('accepts exactly AR, SR and FR', () => {
    expect(['AR', 'SR', 'FR'].map(isTriangleRole)).toEqual([true, true, true]);
    expect(['manager', 'group:sdt', 'ar', 'Ar', '', 'AR '].map(isTriangleRole)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('approversFor, legacy bare-number thresholds (stored versions: any currency, as before)', () => {
  const gated = stage({
    approvers: ['AR', 'SR'],
    when: [
      { if: { valueAtLeast: 5_000_000 }, add: ['manager'] },
      { if: { valueAtLeast: 10_000_000 }, add: ['group:sdt', 'AR', 'manager'] },
    ],
  });

  it('returns the base approvers, none conditional, below every threshold', () => {
    expect(approversFor(gated, { amount: 4_999_999, currency: 'EUR' })).toEqual([
      { approver: 'AR', conditional: false },
      { approver: 'SR', conditional: false },
    ]);
  });

  it('adds conditional approvers at exactly the threshold (valueAtLeast is inclusive)', () => {
    expect(approversFor(gated, { amount: 5_000_000, currency: 'EUR' })).toEqual([
      { approver: 'AR', conditional: false },
      { approver: 'SR', conditional: false },
      { approver: 'manager', conditional: true },
    ]);
  });

  it('applies every condition met, in order, without repeating an approver', () => {
    expect(approversFor(gated, { amount: 10_000_000, currency: 'EUR' })).toEqual([
      { approver: 'AR', conditional: false },
      { approver: 'SR', conditional: false },
      { approver: 'manager', conditional: true },
      { approver: 'group:sdt', conditional: true },
    ]);
  });

  it('returns the base list when the stage has no `when`', () => {
    expect(approversFor(stage(), { amount: 1e12, currency: 'EUR' }).map((a) => a.approver)).toEqual([
      'AR',
      'SR',
      'FR',
    ]);
  });
});

describe('evaluateGate', () => {
  describe('rule all', () => {
    const def = stage({ rule: 'all' });
    it('is pending until every approver approved', () => {
      expect(evaluateGate(def, triangle(), [])).toBe('pending');
      expect(evaluateGate(def, triangle(), [so('AR'), so('SR')])).toBe('pending');
      expect(evaluateGate(def, triangle(), [so('AR'), so('SR'), so('FR')])).toBe('approved');
    });
    it('is rejected by any one rejection, even after approvals', () => {
      expect(evaluateGate(def, triangle(), [so('AR'), so('SR'), so('FR', 'reject')])).toBe('rejected');
      expect(evaluateGate(def, triangle(), [so('SR', 'reject')])).toBe('rejected');
    });
    it('needs a conditional approver too', () => {
      const required = [...triangle(), req('manager', ['mona'], true)];
      expect(evaluateGate(def, required, [so('AR'), so('SR'), so('FR')])).toBe('pending');
      expect(evaluateGate(def, required, [so('AR'), so('SR'), so('FR'), so('manager')])).toBe('approved');
    });
  });

  describe('rule any', () => {
    const def = stage({ rule: 'any' });
    it('passes with one approver', () => {
      expect(evaluateGate(def, triangle(), [])).toBe('pending');
      expect(evaluateGate(def, triangle(), [so('FR')])).toBe('approved');
    });
    it('counts a group as one approver', () => {
      const required = [req('group:legal', ['lee', 'lou']), req('AR', ['alice'])];
      expect(evaluateGate(def, required, [so('group:legal', 'approve', 'lou')])).toBe('approved');
    });
    it('still needs the conditional approver (mandatory under every rule)', () => {
      const required = [...triangle(), req('manager', ['mona'], true)];
      expect(evaluateGate(def, required, [so('FR')])).toBe('pending');
      expect(evaluateGate(def, required, [so('manager')])).toBe('pending');
      expect(evaluateGate(def, required, [so('manager'), so('AR')])).toBe('approved');
    });
    it('is rejected by one rejection whatever else approved', () => {
      expect(evaluateGate(def, triangle(), [so('FR'), so('AR', 'reject')])).toBe('rejected');
    });
  });

  describe('rule atLeast', () => {
    const def = stage({ rule: { atLeast: 2 } });
    it('needs n approvals', () => {
      expect(evaluateGate(def, triangle(), [so('AR')])).toBe('pending');
      expect(evaluateGate(def, triangle(), [so('AR'), so('FR')])).toBe('approved');
    });
    it('is capped at the number of base approvers', () => {
      const def5 = stage({ rule: { atLeast: 5 } });
      expect(evaluateGate(def5, triangle(), [so('AR'), so('SR')])).toBe('pending');
      expect(evaluateGate(def5, triangle(), [so('AR'), so('SR'), so('FR')])).toBe('approved');
    });
    it('needs the conditional approver on top of n base approvals (it does not count toward n)', () => {
      const required = [...triangle(), req('manager', ['mona'], true)];
      expect(evaluateGate(def, required, [so('AR'), so('SR')])).toBe('pending');
      expect(evaluateGate(def, required, [so('AR'), so('manager')])).toBe('pending');
      expect(evaluateGate(def, required, [so('AR'), so('SR'), so('manager')])).toBe('approved');
    });
  });

  describe('rule weight', () => {
    // ltc-standard `solution`: SR must sign plus AR or FR.
    const def = stage({
      approvers: ['SR', 'AR', 'FR'],
      rule: { weight: 0.7 },
      weights: { SR: 0.6, AR: 0.2, FR: 0.2 },
    });
    const required = [req('SR', ['sam']), req('AR', ['alice']), req('FR', ['fred'])];
    it('passes when the approving roles reach the threshold', () => {
      expect(evaluateGate(def, required, [so('SR')])).toBe('pending');
      expect(evaluateGate(def, required, [so('SR'), so('FR')])).toBe('approved');
      expect(evaluateGate(def, required, [so('SR'), so('AR')])).toBe('approved');
    });
    it('does not pass when the other roles together stay below it', () => {
      expect(evaluateGate(def, required, [so('AR'), so('FR')])).toBe('pending');
    });
    it('tolerates floating-point sums (0.1 + 0.7 reaches 0.8)', () => {
      const def2 = stage({ rule: { weight: 0.8 }, weights: { SR: 0.1, AR: 0.7, FR: 0.2 } });
      expect(0.1 + 0.7).toBeLessThan(0.8);
      expect(evaluateGate(def2, triangle(), [so('SR'), so('AR')])).toBe('approved');
      expect(evaluateGate(def2, triangle(), [so('SR'), so('FR')])).toBe('pending');
    });
    it('gives no weight to manager or group approvals', () => {
      const def3 = stage({
        approvers: ['SR', 'manager', 'group:sdt'],
        rule: { weight: 0.5 },
        weights: { SR: 0.6, AR: 0.2, FR: 0.2 },
      });
      const req3 = [req('SR', ['sam']), req('manager', ['mona']), req('group:sdt', ['sid'])];
      expect(evaluateGate(def3, req3, [so('manager'), so('group:sdt')])).toBe('pending');
      expect(evaluateGate(def3, req3, [so('SR')])).toBe('approved');
    });
    it('needs the conditional approver as well', () => {
      const withManager = [...required, req('manager', ['mona'], true)];
      expect(evaluateGate(def, withManager, [so('SR'), so('AR')])).toBe('pending');
      expect(evaluateGate(def, withManager, [so('SR'), so('AR'), so('manager')])).toBe('approved');
    });
    it('counts only base triangle roles: a conditional triangle approver adds no weight (current behaviour)', () => {
      // Base SR + AR; FR added by a condition. SR (0.6) + FR (0.2) = 0.8 >= 0.7 by the spec's words
      // ("approving triangle roles' weights"), but the code sums base approvers only.
      const def4 = stage({
        approvers: ['SR', 'AR'],
        rule: { weight: 0.7 },
        weights: { SR: 0.6, AR: 0.2, FR: 0.2 },
      });
      const req4 = [req('SR', ['sam']), req('AR', ['alice']), req('FR', ['fred'], true)];
      expect(evaluateGate(def4, req4, [so('SR'), so('FR')])).toBe('pending');
      expect(evaluateGate(def4, req4, [so('SR'), so('FR'), so('AR')])).toBe('approved');
    });
  });
});

describe('undecided', () => {
  it('lists required approvers without a sign-off, approve or reject, in order', () => {
    const required = [...triangle(), req('group:sdt', ['sid', 'sue'], true)];
    expect(undecided(required, []).map((r) => r.approver)).toEqual(['AR', 'SR', 'FR', 'group:sdt']);
    expect(undecided(required, [so('SR'), so('group:sdt', 'reject', 'sue')])).toEqual([
      req('AR', ['alice']),
      req('FR', ['fred']),
    ]);
    expect(undecided(required, [so('AR'), so('SR'), so('FR'), so('group:sdt')])).toEqual([]);
  });
});

describe('approversFor, thresholds that name their currency', () => {
  const gated = stage({
    approvers: ['AR', 'SR'],
    when: [
      { if: { valueAtLeast: { amount: 5_000_000, currency: 'CNY' } }, add: ['manager'] },
      { if: { valueAtLeast: { amount: 700_000, currency: 'USD' } }, add: ['manager'] },
      { if: { valueAtLeast: { amount: 50_000_000, currency: 'CNY' } }, add: ['group:sdt'] },
    ],
  });
  const added = (amount: number, currency: string) =>
    approversFor(gated, { amount, currency })
      .filter((a) => a.conditional)
      .map((a) => a.approver);

  it('applies a threshold only to deals in its currency, inclusive of the amount', () => {
    expect(added(4_999_999.99, 'CNY')).toEqual([]);
    expect(added(5_000_000, 'CNY')).toEqual(['manager']);
    expect(added(699_999.99, 'USD')).toEqual([]);
    expect(added(700_000, 'USD')).toEqual(['manager']);
    expect(added(50_000_000, 'CNY')).toEqual(['manager', 'group:sdt']);
  });

  it('a large amount in a currency no threshold names adds nobody', () => {
    expect(added(4_999_999, 'USD')).toEqual(['manager']);
    expect(added(9_000_000_000, 'EUR')).toEqual([]);
  });
});

describe('meetsThreshold', () => {
  it('legacy number: the amount in any currency', () => {
    expect(meetsThreshold({ amount: 5, currency: 'EUR' }, 5)).toBe(true);
    expect(meetsThreshold({ amount: 4.99, currency: 'CNY' }, 5)).toBe(false);
  });
  it('named currency: the amount in that currency only', () => {
    const t = { amount: 5, currency: 'CNY' };
    expect(meetsThreshold({ amount: 5, currency: 'CNY' }, t)).toBe(true);
    expect(meetsThreshold({ amount: 500, currency: 'USD' }, t)).toBe(false);
    expect(meetsThreshold({ amount: 4.99, currency: 'CNY' }, t)).toBe(false);
  });
});
