/**
 * A deal on the board: title, account, value, who it waits on, due time and badges. Plain markup
 * (no tooltips or popups per card): a board can hold 1,000 deals.
 */
import { Link } from 'react-router';
import { Money } from '@/components/money';
import { paths } from '@/config/paths';
import type { Deal } from '@/lib/api/types';
import { formatDateTime, formatRelative } from '@/lib/format';
import { useLocale, useT } from '@/lib/i18n';
import { dealOverdue } from '../lib/board';
import { DealBadges } from './deal-badges';

export function DealCard({ deal, nameOf }: { deal: Deal; nameOf: (id: string) => string }) {
  const t = useT();
  const { locale } = useLocale();
  const waiting = deal.stage?.waitingOn ?? [];
  const late = dealOverdue(deal);
  const due = deal.stage?.dueAt;
  return (
    <li className={`deal-card${late ? ' deal-card--overdue' : ''}`} data-deal-id={deal.id}>
      <Link to={paths.deal(deal.id)} className="deal-card__title">
        {deal.title}
      </Link>
      <div className="deal-card__account">{deal.account.name}</div>
      <div className="deal-card__row">
        <Money value={deal.value} compact />
        <span>
          <DealBadges deal={deal} />
        </span>
      </div>
      {waiting.length > 0 && (
        <div className="deal-card__meta">
          {t('board.waitingOn')}: {waiting.map((w) => `${nameOf(w.userId)} (${w.role})`).join(', ')}
        </div>
      )}
      {due && (
        <div className={`deal-card__meta${late ? ' deal-card__late' : ''}`}>
          {t('board.due')}:{' '}
          <time dateTime={due} title={formatDateTime(due, locale)}>
            {formatRelative(due, locale)}
          </time>
        </div>
      )}
    </li>
  );
}
