/** Formatting in the user's locale: money, instants, relative time and durations. */
import type { Locale } from './i18n';

export interface MoneyLike {
  amount: number;
  currency: string;
}

export function formatMoney(m: MoneyLike, locale: Locale, compact = false): string {
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: m.currency,
    notation: compact ? 'compact' : 'standard',
    maximumFractionDigits: compact ? 1 : 0,
  }).format(m.amount);
}

/** Sums per currency (amounts of different currencies are never added). */
export function totalsByCurrency(items: MoneyLike[]): MoneyLike[] {
  const sums = new Map<string, number>();
  for (const m of items) sums.set(m.currency, (sums.get(m.currency) ?? 0) + m.amount);
  return [...sums].map(([currency, amount]) => ({ currency, amount }));
}

export function formatDateTime(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "in 3 hours", "2 days ago". */
export function formatRelative(iso: string, locale: Locale, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second') return rtf.format(Math.round(diff / ms), unit);
  }
  return '';
}

/** A duration such as "2d 4h" / "2天4小时". */
export function formatDuration(ms: number, locale: Locale): string {
  const zh = locale === 'zh-CN';
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms / 1000));
  const units: [number, string, string][] = [
    [86_400, 'd', '天'],
    [3600, 'h', '小时'],
    [60, 'm', '分'],
    [1, 's', '秒'],
  ];
  for (const [size, en, cn] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 && parts.length < 2) parts.push(`${n}${zh ? cn : en}`);
  }
  return parts.length ? parts.join(zh ? '' : ' ') : zh ? '0秒' : '0s';
}

export function isOverdue(dueAt: string | null | undefined, now = Date.now()): boolean {
  return Boolean(dueAt && new Date(dueAt).getTime() < now);
}
