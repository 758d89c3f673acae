import { formatMoney, type MoneyLike } from '@/lib/format';
import { useLocale } from '@/lib/i18n';

export function Money({ value, compact }: { value: MoneyLike; compact?: boolean }) {
  const { locale } = useLocale();
  return <span className="money">{formatMoney(value, locale, compact)}</span>;
}
