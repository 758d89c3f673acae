/**
 * Deal amounts: what the `numeric(20,2)` column holds and a JSON number keeps exact to the cent.
 * Pure; used at the API's door and again inside the deal workflow.
 */

/** The largest amount accepted: cents stay exact in a double below 2^53 / 100 ≈ 9.0e13. */
export const MAX_AMOUNT = 9_999_999_999_999.99;

/** Why `v` is not an acceptable amount, or null when it is. */
export function amountProblem(v: unknown): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
  if (v < 0) return 'must not be negative';
  if (v > MAX_AMOUNT) return `must be at most ${MAX_AMOUNT}`;
  const cents = v * 100;
  if (Math.abs(cents - Math.round(cents)) > 1e-6) return 'must have at most two decimals';
  return null;
}
