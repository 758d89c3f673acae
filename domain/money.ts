/**
 * Money amounts and currency codes. PURE: no imports; workflow code imports this file.
 *
 * Amounts are stored in `numeric(20,2)` (up to 18 integer digits) and carried as JS numbers
 * (doubles), which keep every cent exact only while `amount × 100` stays below 2^53, i.e. below
 * about 90,071,992,547,409.91. The bound is 9,999,999,999,999.99 (just under 10^13): the column
 * holds it and a double keeps every cent below it exact, with room to add a few amounts together
 * (pipeline totals) before precision is lost.
 */

export const MAX_AMOUNT = 9_999_999_999_999.99;

/** `MAX_AMOUNT` as people read it. */
export const MAX_AMOUNT_TEXT = '9,999,999,999,999.99';

/**
 * Why `amount` is not a storable money amount, or `null` when it is: a finite number from 0 to
 * `MAX_AMOUNT` with at most two decimals.
 */
export function amountProblem(amount: number): string | null {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return 'must be a finite number';
  if (amount < 0) return 'must not be negative';
  if (amount > MAX_AMOUNT) return `must be at most ${MAX_AMOUNT_TEXT}`;
  if (!hasAtMostTwoDecimals(amount)) return 'must have at most two decimals';
  return null;
}

/** Below MAX_AMOUNT, the double nearest to n/100 round-trips through whole cents exactly. */
export function hasAtMostTwoDecimals(amount: number): boolean {
  return Math.round(amount * 100) / 100 === amount;
}

export function isStorableAmount(amount: number): boolean {
  return amountProblem(amount) === null;
}

/** Three capital letters; whether the code is a known ISO 4217 currency is checked at the edges. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

let known: Set<string> | undefined;

/** Whether `code` is an ISO 4217 currency this runtime knows (`Intl.supportedValuesOf`). */
export function isKnownCurrency(code: string): boolean {
  known ??= new Set(
    (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf('currency'),
  );
  return CURRENCY_PATTERN.test(code) && known.has(code);
}
