/** The deal's timeline, newest first: what happened, who did it (on whose behalf) and every reason in full. */
import { Empty, Tag, Typography } from 'antd';
import { Money } from '@/components/money';
import { UserName } from '@/components/user-name';
import type { DealEvent, StageDefinition } from '@/lib/api/types';
import { formatDateTime, type MoneyLike } from '@/lib/format';
import { type MessageKey, useLocale, useLocalized, useT } from '@/lib/i18n';

const COLORS: Partial<Record<DealEvent['type'], string>> = {
  'signoff.approved': 'green',
  'signoff.rejected': 'red',
  'stage.escalated': 'volcano',
  'stage.reminder': 'gold',
  'deal.on_hold': 'orange',
  'deal.cancelled': 'default',
  'deal.lost': 'red',
  'deal.completed': 'green',
  'role.reassigned': 'blue',
  'deal.amended': 'cyan',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isMoney = (v: unknown): v is MoneyLike =>
  typeof v === 'object' && v !== null && 'amount' in v && 'currency' in v;

function Details({ e }: { e: DealEvent }) {
  const t = useT();
  const d = e.data;
  const text = str(d.comment) ?? str(d.reason);
  const notified = Array.isArray(d.notified) ? (d.notified as string[]) : [];
  return (
    <>
      {str(d.role) && e.type !== 'role.reassigned' && (
        <span>{t('event.role', { role: String(d.role) })} </span>
      )}
      {e.type === 'stage.escalated' && typeof d.level === 'number' && (
        <span>{t('event.level', { level: d.level })} </span>
      )}
      {notified.length > 0 && <span>{t('event.notified', { users: notified.join(', ') })} </span>}
      {e.type === 'role.reassigned' && (
        <span>
          {t('event.reassigned', { role: String(d.role), from: String(d.from), to: String(d.to) })}{' '}
        </span>
      )}
      {e.type === 'deal.amended' && isMoney(d.from) && isMoney(d.to) && (
        <span>
          <Money value={d.from} /> → <Money value={d.to} />{' '}
        </span>
      )}
      {text && <div className="comment">{text}</div>}
    </>
  );
}

export function DealTimeline({ events, stages }: { events: DealEvent[]; stages: StageDefinition[] }) {
  const t = useT();
  const { locale } = useLocale();
  const localized = useLocalized();
  if (events.length === 0) return <Empty description={t('deal.timelineEmpty')} />;
  const stageName = (key: string | null) => {
    const s = stages.find((x) => x.key === key);
    return s ? localized(s.name, s.key) : key;
  };
  return (
    <ol className="timeline" data-testid="timeline">
      {events.map((e) => (
        <li key={e.seq} className="timeline__item" data-type={e.type}>
          <div className="timeline__head">
            <Tag color={COLORS[e.type]}>{t(`event.${e.type}` as MessageKey)}</Tag>
            {e.stage && <strong>{stageName(e.stage)}</strong>}
            <Typography.Text type="secondary" className="timeline__at">
              <time dateTime={e.at}>{formatDateTime(e.at, locale)}</time>
            </Typography.Text>
          </div>
          <div className="timeline__body">
            <span>
              {t('event.by', { actor: '' })}
              {e.actorId === 'system' ? t('common.system') : <UserName id={e.actorId} />}
            </span>
            {e.onBehalfOfId && e.onBehalfOfId !== e.actorId && (
              <span> ({t('deal.onBehalfOf', { user: e.onBehalfOfId })})</span>
            )}{' '}
            <Details e={e} />
          </div>
        </li>
      ))}
    </ol>
  );
}
