import { Tag } from 'antd';
import type { Deal } from '@/lib/api/types';
import { type MessageKey, useT } from '@/lib/i18n';
import { dealOverdue } from '../lib/board';

const STATUS_COLOR: Record<Deal['status'], string> = {
  active: 'processing',
  on_hold: 'warning',
  completed: 'success',
  lost: 'error',
  cancelled: 'default',
};

export function StatusTag({ status }: { status: Deal['status'] }) {
  const t = useT();
  return <Tag color={STATUS_COLOR[status]}>{t(`status.${status}` as MessageKey)}</Tag>;
}

/** Overdue, escalation level and hold, as small tags. */
export function DealBadges({ deal }: { deal: Deal }) {
  const t = useT();
  const level = deal.stage?.escalationLevel ?? 0;
  return (
    <>
      {dealOverdue(deal) && (
        <Tag color="red" data-badge="overdue">
          {t('badge.overdue')}
        </Tag>
      )}
      {level > 0 && deal.status === 'active' && (
        <Tag color="volcano" data-badge="escalated">
          {t('badge.escalated', { level })}
        </Tag>
      )}
      {deal.status === 'on_hold' && <Tag color="gold">{t('badge.onHold')}</Tag>}
    </>
  );
}
