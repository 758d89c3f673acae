/** On the deal page: the roles the caller may sign at the current stage (own, or as a delegate). */
import { Typography } from 'antd';
import type { Deal, User } from '@/lib/api/types';
import { useLocalized, useT } from '@/lib/i18n';
import { useTasks } from '../api/signoffs';
import { SignoffButtons } from './signoff-buttons';

export function DealSignoff({ deal, me }: { deal: Deal; me: User }) {
  const t = useT();
  const localized = useLocalized();
  const tasks = useTasks();
  const stage = deal.stage;
  if (!stage || deal.status !== 'active')
    return <Typography.Text type="secondary">{t('deal.noActions')}</Typography.Text>;
  const roles = new Set(stage.waitingOn.filter((w) => w.userId === me.id).map((w) => w.role));
  for (const task of tasks.data ?? [])
    if (task.dealId === deal.id && task.stage === stage.key) roles.add(task.role);
  if (roles.size === 0) return <Typography.Text type="secondary">{t('deal.noActions')}</Typography.Text>;
  return (
    <div data-testid="my-signoff">
      {[...roles].map((role) => (
        <SignoffButtons
          key={role}
          target={{
            dealId: deal.id,
            dealTitle: deal.title,
            stage: stage.key,
            stageName: localized(stage.name, stage.key),
            role,
          }}
        />
      ))}
    </div>
  );
}
