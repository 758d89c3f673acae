/** My sign-offs: what waits on the caller, soonest due first, with approve and reject in place. */
import { Empty, Spin, Tag, Typography } from 'antd';
import { Link } from 'react-router';
import { ApiErrorAlert } from '@/components/api-error';
import { DueTime } from '@/components/due-time';
import { paths } from '@/config/paths';
import type { Task } from '@/lib/api/types';
import { useLocalized, useT } from '@/lib/i18n';
import { useTasks } from '../api/signoffs';
import { SignoffButtons } from './signoff-buttons';

export function TasksTable() {
  const t = useT();
  const localized = useLocalized();
  const tasks = useTasks();
  return (
    <div>
      <Typography.Title level={1} className="page-title">
        {t('tasks.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('tasks.intro')}</Typography.Paragraph>
      <ApiErrorAlert error={tasks.error} />
      {/* A plain table (not antd Table): this is the members' landing page, so it stays light. */}
      {tasks.isPending ? (
        <Spin />
      ) : (tasks.data ?? []).length === 0 ? (
        <Empty description={t('tasks.empty')} />
      ) : (
        <table className="plain-table" data-testid="tasks">
          <thead>
            <tr>
              <th scope="col">{t('tasks.deal')}</th>
              <th scope="col">{t('tasks.stage')}</th>
              <th scope="col">{t('tasks.role')}</th>
              <th scope="col">{t('tasks.due')}</th>
              <th scope="col">{t('tasks.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(tasks.data ?? []).map((r: Task) => (
              <tr key={`${r.dealId}:${r.stage}:${r.role}:${r.onBehalfOfId ?? ''}`} data-deal-id={r.dealId}>
                <td>
                  <Link to={paths.deal(r.dealId)}>{r.title}</Link>
                  {r.overdue && (
                    <Tag color="red" style={{ marginLeft: 8 }}>
                      {t('badge.overdue')}
                    </Tag>
                  )}
                </td>
                <td>{localized(r.stageName, r.stage)}</td>
                <td>
                  {r.role}
                  {r.onBehalfOfId && (
                    <Typography.Text type="secondary">
                      {' '}
                      {t('tasks.delegated', { user: r.onBehalfOfId })}
                    </Typography.Text>
                  )}
                </td>
                <td>
                  <DueTime dueAt={r.dueAt} />
                </td>
                <td>
                  <SignoffButtons
                    compact
                    target={{
                      dealId: r.dealId,
                      dealTitle: r.title,
                      stage: r.stage,
                      stageName: localized(r.stageName, r.stage),
                      role: r.role,
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
