import { Tooltip, Typography } from 'antd';
import { formatDateTime, formatRelative, isOverdue } from '@/lib/format';
import { useLocale } from '@/lib/i18n';

/** A due time, relative ("in 3 hours"), red once past, the exact time on hover. */
export function DueTime({ dueAt, active = true }: { dueAt: string | null | undefined; active?: boolean }) {
  const { locale } = useLocale();
  if (!dueAt) return <Typography.Text type="secondary">—</Typography.Text>;
  const late = active && isOverdue(dueAt);
  return (
    <Tooltip title={formatDateTime(dueAt, locale)}>
      <Typography.Text type={late ? 'danger' : undefined}>
        <time dateTime={dueAt}>{formatRelative(dueAt, locale)}</time>
      </Typography.Text>
    </Tooltip>
  );
}
