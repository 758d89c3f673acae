import { amountProblem, isKnownCurrency, isStorableAmount, MAX_AMOUNT } from '../../domain/money';

describe('amountProblem', () => {
  test.each([0, 1, 0.01, 0.1, 1.15, 12_000_000, 4_999_999.99, MAX_AMOUNT, 9_999_999_999_999])(
    '%p is storable',
    (amount) => {
      expect(amountProblem(amount)).toBeNull();
      expect(isStorableAmount(amount)).toBe(true);
    },
  );

  test.each([
    [-0.01, 'must not be negative'],
    [1e18, 'must be at most 9,999,999,999,999.99'],
    [MAX_AMOUNT + 0.01, 'must be at most 9,999,999,999,999.99'],
    [1.005, 'must have at most two decimals'],
    [0.001, 'must have at most two decimals'],
    [Number.NaN, 'must be a finite number'],
    [Number.POSITIVE_INFINITY, 'must be a finite number'],
  ])('%p → %s', (amount, message) => {
    expect(amountProblem(amount)).toBe(message);
  });

  test('the bound fits numeric(20,2) and keeps every cent exact in a double', () => {
    // numeric(20,2): 18 integer digits.
    expect(Math.trunc(MAX_AMOUNT).toString().length).toBeLessThanOrEqual(18);
    // Cents below the bound are exact integers in a double.
    expect(Number.isSafeInteger(Math.round(MAX_AMOUNT * 100))).toBe(true);
    expect(Math.round(MAX_AMOUNT * 100)).toBe(999_999_999_999_999);
    // The neighbouring cents below the bound stay distinct and round-trip.
    for (const cents of [999_999_999_999_998, 999_999_999_999_997, 123_456_789_012_345]) {
      expect(Math.round((cents / 100) * 100)).toBe(cents);
      expect(amountProblem(cents / 100)).toBeNull();
    }
  });
});

describe('isKnownCurrency', () => {
  test('ISO 4217 codes only', () => {
    expect(isKnownCurrency('CNY')).toBe(true);
    expect(isKnownCurrency('USD')).toBe(true);
    expect(isKnownCurrency('XYZ')).toBe(false);
    expect(isKnownCurrency('usd')).toBe(false);
    expect(isKnownCurrency('US')).toBe(false);
  });
});
