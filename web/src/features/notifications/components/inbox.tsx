/** The header's notification inbox: a bell with the unread count, opening the newest notifications. */
import { BellOutlined } from '@ant-design/icons';
import { Badge, Button, Empty, Popover, Tag } from 'antd';
import { Link } from 'react-router';
import { paths } from '@/config/paths';
import type { NotificationItem } from '@/lib/api/types';
import { formatRelative } from '@/lib/format';
import { type MessageKey, useLocale, useT } from '@/lib/i18n';
import { useInbox, useMarkRead } from '../api/notifications';

const KIND_COLOR: Record<NotificationItem['kind'], string> = {
  task: 'blue',
  reminder: 'gold',
  escalation: 'red',
  decision: 'green',
  status: 'default',
};

export function Inbox() {
  const t = useT();
  const { locale } = useLocale();
  const inbox = useInbox();
  const markRead = useMarkRead();
  const items = inbox.data?.items ?? [];
  const unread = items.filter((n) => !n.readAt).length;
  const more = Boolean(inbox.data?.nextCursor) && unread === items.length;
  // Plain markup rather than antd List: the inbox is on every screen, so it stays in the first load.
  const content = (
    <div className="inbox">
      {items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('inbox.empty')} />
      ) : (
        <ul className="inbox__list">
          {items.map((n) => (
            <li key={n.id} className={n.readAt ? 'inbox__item' : 'inbox__item inbox__item--unread'}>
              <div>
                <Tag color={KIND_COLOR[n.kind]}>{t(`inbox.kind.${n.kind}` as MessageKey)}</Tag>
                <Link
                  to={paths.deal(n.dealId)}
                  className="inbox__text"
                  title={n.text}
                  onClick={() => !n.readAt && markRead.mutate(n.id)}
                >
                  {n.text}
                </Link>
              </div>
              <div className="inbox__meta">
                <time dateTime={n.createdAt}>{formatRelative(n.createdAt, locale)}</time>
                {!n.readAt && (
                  <Button size="small" type="link" onClick={() => markRead.mutate(n.id)}>
                    {t('inbox.markRead')}
                  </Button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
  const label = t('inbox.label', { count: more ? `${unread}+` : unread });
  return (
    <Popover content={content} title={t('inbox.title')} trigger="click" placement="bottomRight">
      <Button type="text" aria-label={label} title={label} data-testid="inbox">
        <Badge count={unread} overflowCount={more ? unread - 1 : 99} size="small">
          <BellOutlined style={{ fontSize: 18, color: 'inherit' }} />
        </Badge>
      </Button>
    </Popover>
  );
}
