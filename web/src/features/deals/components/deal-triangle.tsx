import { LinkOutlined } from '@ant-design/icons';
import { Card, Descriptions } from 'antd';
import { UserName } from '@/components/user-name';
import type { Deal } from '@/lib/api/types';
import { type MessageKey, useT } from '@/lib/i18n';

/** The Iron Triangle of the deal and a link to its workflow in the Temporal UI. */
export function DealTriangle({ deal }: { deal: Deal }) {
  const t = useT();
  return (
    <Card title={t('deal.triangle')} size="small" data-testid="triangle">
      <Descriptions column={1} size="small">
        {(['AR', 'SR', 'FR'] as const).map((role) => (
          <Descriptions.Item key={role} label={t(`role.${role}` as MessageKey)}>
            <span data-role={role}>
              <UserName id={deal.triangle[role]} />
            </span>
          </Descriptions.Item>
        ))}
      </Descriptions>
      {deal.temporalUiUrl && (
        <a href={deal.temporalUiUrl} target="_blank" rel="noreferrer">
          <LinkOutlined /> {t('deal.temporal')}
        </a>
      )}
    </Card>
  );
}
