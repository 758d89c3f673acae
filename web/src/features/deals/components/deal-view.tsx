/**
 * The deal page: stage path, current stage (with the caller's own sign-off, composed in by the app),
 * manager and ops actions, the triangle and the timeline.
 */
import { Alert, Card, Col, Descriptions, Result, Row, Spin, Typography } from 'antd';
import type { ReactNode } from 'react';
import { ApiErrorAlert } from '@/components/api-error';
import { Money } from '@/components/money';
import { ApiError } from '@/lib/api/client';
import { useProcessVersion } from '@/lib/api/queries';
import type { Deal } from '@/lib/api/types';
import { formatDateTime } from '@/lib/format';
import { type MessageKey, useLocale, useLocalized, useT } from '@/lib/i18n';
import { useDeal, useTimeline } from '../api/deals';
import { CurrentStage } from './current-stage';
import { DealBadges, StatusTag } from './deal-badges';
import { DealTimeline } from './deal-timeline';
import { DealTriangle } from './deal-triangle';
import { ManagerActions } from './manager-actions';
import { StagePath } from './stage-path';

export function DealView({
  id,
  canManage,
  signoff,
}: {
  id: string;
  canManage: boolean;
  /** The caller's own sign-off actions for this deal. */
  signoff: (deal: Deal) => ReactNode;
}) {
  const t = useT();
  const { locale } = useLocale();
  const localized = useLocalized();
  const deal = useDeal(id);
  const timeline = useTimeline(id);
  const process = useProcessVersion(deal.data?.process.key, deal.data?.process.version);

  if (deal.error instanceof ApiError && deal.error.status === 404) {
    return <Result status="404" title={t('common.notFound')} subTitle={t('common.notFoundText')} />;
  }
  if (!deal.data) return deal.error ? <ApiErrorAlert error={deal.error} /> : <Spin style={{ margin: 48 }} />;
  const d = deal.data;
  const stages = process.data?.definition.stages ?? [];
  const lastStage = timeline.data?.find((e) => e.type === 'stage.entered')?.stage ?? undefined;
  return (
    <div className="deal-page" data-deal-id={d.id} data-status={d.status}>
      <Typography.Title level={1} className="page-title">
        {d.title} <StatusTag status={d.status} /> <DealBadges deal={d} />
      </Typography.Title>
      <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4 }} className="deal-facts">
        <Descriptions.Item label={t('deal.account')}>
          {d.account.name}
          {d.account.tier ? ` · ${d.account.tier}` : ''}
        </Descriptions.Item>
        <Descriptions.Item label={t('deal.value')}>
          <span data-testid="deal-value">
            <Money value={d.value} />
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('deal.process')}>
          {process.data ? localized(process.data.definition.name) : d.process.key} v{d.process.version}
        </Descriptions.Item>
        <Descriptions.Item label={t('deal.created')}>{formatDateTime(d.createdAt, locale)}</Descriptions.Item>
      </Descriptions>
      {stages.length > 0 && <StagePath deal={d} stages={stages} lastStageKey={lastStage} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          {d.stage ? (
            <CurrentStage deal={d} stage={d.stage}>
              <Typography.Title level={3} className="section-title">
                {t('deal.yourActions')}
              </Typography.Title>
              {signoff(d)}
            </CurrentStage>
          ) : (
            <Alert
              type="info"
              showIcon
              title={t('deal.noStage', { status: t(`status.${d.status}` as MessageKey) })}
            />
          )}
          <Card title={t('deal.timeline')} style={{ marginTop: 16 }}>
            {timeline.data ? (
              <DealTimeline events={timeline.data} stages={stages} />
            ) : (
              <ApiErrorAlert error={timeline.error} />
            )}
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <DealTriangle deal={d} />
          {canManage && (
            <div style={{ marginTop: 16 }}>
              <ManagerActions deal={d} />
            </div>
          )}
        </Col>
      </Row>
    </div>
  );
}
