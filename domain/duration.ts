/**
 * Durations as ops write them in process definitions.
 *
 * PURE: no imports. Temporal workflow code imports this file, so it must stay free of Node
 * modules, zod and I/O.
 *
 * Accepted forms:
 * - short: `<int><unit>` with unit `s` `m` `h` `d` `w` (`30s`, `15m`, `4h`, `3d`, `2w`, `0s`);
 * - ISO 8601: `PnW` or `PnDTnHnMnS` with integer parts (`PT4H`, `P3D`, `P1DT2H`, `PT30S`).
 * Days are always 24 hours; there are no months or years (their length varies).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const UNIT_MS: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: WEEK };

const SHORT = /^(\d+)([smhdw])$/;
const ISO_WEEKS = /^P(\d+)W$/;
const ISO_DAY_TIME = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

function toInt(digits: string | undefined): number {
  return digits === undefined ? 0 : Number(digits);
}

function safe(ms: number): number | null {
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : null;
}

/** Milliseconds for `text`, or `null` when it is not a duration in one of the accepted forms. */
export function parseDuration(text: string): number | null {
  if (typeof text !== 'string') return null;
  const value = text;

  const short = SHORT.exec(value);
  if (short) return safe(toInt(short[1]) * UNIT_MS[short[2]]);

  const weeks = ISO_WEEKS.exec(value);
  if (weeks) return safe(toInt(weeks[1]) * WEEK);

  const iso = ISO_DAY_TIME.exec(value);
  if (iso) {
    const [, d, h, m, s] = iso;
    // `P` and `PT` alone carry no component; `T` needs at least one time component after it.
    if (d === undefined && h === undefined && m === undefined && s === undefined) return null;
    if (value.includes('T') && h === undefined && m === undefined && s === undefined) return null;
    return safe(toInt(d) * DAY + toInt(h) * HOUR + toInt(m) * MINUTE + toInt(s) * SECOND);
  }
  return null;
}

/**
 * A compact human form: `2d 3h`, `45m`, `30s`, `1h 30m 5s`, `0s`. Sub-second rests show as `ms`.
 * Weeks are shown as days (`14d`), which reads better next to deadlines such as `10d`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', DAY],
    ['h', HOUR],
    ['m', MINUTE],
    ['s', SECOND],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return sign + parts.join(' ');
}
