/** The current stage: required approvers, who signed, who it waits on, due time and escalation level. */
import { Card, Descriptions, List, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { DueTime } from '@/components/due-time';
import { UserName } from '@/components/user-name';
import type { Deal, DealStage } from '@/lib/api/types';
import { formatDateTime } from '@/lib/format';
import { type MessageKey, useLocale, useLocalized, useT } from '@/lib/i18n';

export function CurrentStage({
  deal,
  stage,
  children,
}: {
  deal: Deal;
  stage: DealStage;
  children?: ReactNode;
}) {
  const t = useT();
  const { locale } = useLocale();
  const localized = useLocalized();
  const roleLabel = (role: string) =>
    ['AR', 'SR', 'FR', 'manager'].includes(role) ? t(`role.${role}` as MessageKey) : role;
  return (
    <Card
      title={
        <span>
          {t('deal.currentStage')}: {localized(stage.name, stage.key)}{' '}
          {stage.gate && <Tag color="purple">{t('deal.gate', { gate: stage.gate })}</Tag>}
          {stage.visit > 1 && <Tag>{t('deal.visit', { visit: stage.visit })}</Tag>}
        </span>
      }
      data-testid="current-stage"
    >
      <Descriptions column={{ xs: 1, md: 2 }} size="small" bordered>
        <Descriptions.Item label={t('deal.required')}>
          {stage.required.map((r) => (
            <div key={r.role}>
              <strong>{roleLabel(r.role)}</strong>:{' '}
              {r.userIds.length
                ? r.userIds.map((u, i) => (
                    <span key={u}>
                      {i > 0 && ', '}
                      <UserName id={u} />
                    </span>
                  ))
                : '—'}
            </div>
          ))}
        </Descriptions.Item>
        <Descriptions.Item label={t('deal.waitingOn')}>
          <span data-testid="waiting-on">
            {stage.waitingOn.length
              ? stage.waitingOn.map((w, i) => (
                  <span key={`${w.role}:${w.userId}`}>
                    {i > 0 && ', '}
                    <UserName id={w.userId} /> ({w.role})
                  </span>
                ))
              : '—'}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('deal.due')}>
          <DueTime dueAt={stage.dueAt} active={deal.status === 'active'} />
          {stage.dueAt && (
            <Typography.Text type="secondary"> · {formatDateTime(stage.dueAt, locale)}</Typography.Text>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('deal.escalation')}>
          {stage.escalationLevel > 0 ? <Tag color="volcano">L{stage.escalationLevel}</Tag> : '0'}
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={3} className="section-title">
        {t('deal.signed')}
      </Typography.Title>
      <List
        size="small"
        locale={{ emptyText: t('common.none') }}
        dataSource={stage.signoffs}
        renderItem={(s) => (
          <List.Item>
            <Tag color={s.decision === 'approve' ? 'green' : 'red'}>
              {t(`deal.decision.${s.decision}` as MessageKey)}
            </Tag>
            <strong>{roleLabel(s.role)}</strong>&nbsp;
            <UserName id={s.actorId} />
            {s.actorId !== s.userId && (
              <>
                &nbsp;(
                {t('deal.onBehalfOf', { user: s.userId })})
              </>
            )}
            &nbsp;· {formatDateTime(s.at, locale)}
            {s.comment && <div className="comment">{s.comment}</div>}
          </List.Item>
        )}
      />
      {children}
    </Card>
  );
}
