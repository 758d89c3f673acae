/**
 * Reports: the pipeline by stage and value, the SLA report (time per stage, overdue now, who it
 * waits on) and the credit report for a period. Charts are loaded on their own (recharts).
 */
import { Card, DatePicker, Empty, Space, Spin, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { lazy, Suspense, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { ApiErrorAlert } from '@/components/api-error';
import { Money } from '@/components/money';
import { paths } from '@/config/paths';
import type { PipelineReport, SlaReport } from '@/lib/api/types';
import { formatDuration, formatMoney, type MoneyLike } from '@/lib/format';
import { useLocale, useLocalized, useT } from '@/lib/i18n';
import { type Period, useCreditReport, usePipelineReport, useSlaReport } from '../api/reports';

const Bars = lazy(() => import('./charts').then((m) => ({ default: m.Bars })));

/** The currency with the largest total: charts plot one currency, tables show them all. */
function mainCurrency(values: MoneyLike[]): string | undefined {
  const sums = new Map<string, number>();
  for (const v of values) sums.set(v.currency, (sums.get(v.currency) ?? 0) + v.amount);
  return [...sums].sort((a, b) => b[1] - a[1])[0]?.[0];
}

function ChartSlot({ children }: { children: React.ReactNode }) {
  return <Suspense fallback={<Spin />}>{children}</Suspense>;
}

function PipelineSection() {
  const t = useT();
  const { locale } = useLocale();
  const localized = useLocalized();
  const report = usePipelineReport();
  const items = report.data?.items ?? [];
  const currency = mainCurrency(
    items.flatMap((i) => i.values.map((v) => ({ currency: v.currency, amount: v.total }))),
  );
  const chart = items.map((i) => ({
    label: localized(i.stageName, i.stageKey),
    value: i.values.find((v) => v.currency === currency)?.total ?? 0,
  }));
  type Row = PipelineReport['items'][number];
  return (
    <Card title={t('reports.pipeline')} data-testid="report-pipeline">
      <ApiErrorAlert error={report.error} />
      {currency && (
        <ChartSlot>
          <Bars
            data={chart}
            title={`${t('reports.pipeline')} (${currency})`}
            format={(v) => formatMoney({ amount: v, currency }, locale, true)}
          />
        </ChartSlot>
      )}
      <Table<Row>
        size="small"
        loading={report.isPending}
        rowKey={(r) => `${r.processKey}:${r.stageKey}`}
        dataSource={items}
        pagination={false}
        columns={[
          {
            key: 'stage',
            title: t('reports.stage'),
            render: (_, r) => (
              <span>
                {localized(r.stageName, r.stageKey)} {r.gate && <Tag color="purple">{r.gate}</Tag>}
              </span>
            ),
          },
          { key: 'count', title: t('reports.count'), dataIndex: 'count', align: 'right' },
          {
            key: 'total',
            title: t('reports.total'),
            align: 'right',
            render: (_, r) =>
              r.values.map((v) => (
                <div key={v.currency}>
                  <Money value={{ amount: v.total, currency: v.currency }} />
                </div>
              )),
          },
          {
            key: 'weighted',
            title: t('reports.weighted'),
            align: 'right',
            render: (_, r) =>
              r.values.map((v) => (
                <div key={v.currency}>
                  <Money value={{ amount: v.weighted, currency: v.currency }} />
                </div>
              )),
          },
        ]}
      />
    </Card>
  );
}

function SlaSection({ period }: { period: Period }) {
  const t = useT();
  const { locale } = useLocale();
  const localized = useLocalized();
  const report = useSlaReport(period);
  const stages = report.data?.stages ?? [];
  type StageRow = SlaReport['stages'][number];
  type OverdueRow = SlaReport['overdue'][number];
  return (
    <Card title={t('reports.sla')} data-testid="report-sla">
      <ApiErrorAlert error={report.error} />
      <Typography.Title level={3} className="section-title">
        {t('reports.timePerStage')}
      </Typography.Title>
      {stages.some((s) => s.medianMs !== null) && (
        <ChartSlot>
          <Bars
            data={stages.map((s) => ({
              label: localized(s.stageName, s.stageKey),
              value: s.medianMs ?? 0,
            }))}
            color="#0e9384"
            title={`${t('reports.timePerStage')} (${t('reports.median')})`}
            format={(v) => formatDuration(v, locale)}
          />
        </ChartSlot>
      )}
      <Table<StageRow>
        size="small"
        loading={report.isPending}
        rowKey={(r) => `${r.processKey}:${r.stageKey}`}
        dataSource={stages}
        pagination={false}
        columns={[
          { key: 'stage', title: t('reports.stage'), render: (_, r) => localized(r.stageName, r.stageKey) },
          { key: 'visits', title: t('reports.visits'), dataIndex: 'visits', align: 'right' },
          {
            key: 'median',
            title: t('reports.median'),
            align: 'right',
            render: (_, r) => (r.medianMs === null ? '—' : formatDuration(r.medianMs, locale)),
          },
          {
            key: 'p90',
            title: t('reports.p90'),
            align: 'right',
            render: (_, r) => (r.p90Ms === null ? '—' : formatDuration(r.p90Ms, locale)),
          },
          { key: 'breaches', title: t('reports.breaches'), dataIndex: 'breaches', align: 'right' },
          { key: 'escalations', title: t('reports.escalations'), dataIndex: 'escalations', align: 'right' },
        ]}
      />
      <Typography.Title level={3} className="section-title">
        {t('reports.overdueNow', { count: report.data?.overdueTotal ?? 0 })}
      </Typography.Title>
      <Table<OverdueRow>
        size="small"
        rowKey="dealId"
        dataSource={report.data?.overdue ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        columns={[
          {
            key: 'deal',
            title: t('tasks.deal'),
            render: (_, r) => (
              <span>
                <Link to={paths.deal(r.dealId)}>{r.title}</Link>
                <br />
                <Typography.Text type="secondary">{r.accountName}</Typography.Text>
              </span>
            ),
          },
          {
            key: 'stage',
            title: t('reports.stage'),
            render: (_, r) => localized(r.stageName, r.stageKey ?? ''),
          },
          {
            key: 'overdue',
            title: t('reports.overdueFor'),
            render: (_, r) => (
              <span>
                <Typography.Text type="danger">{formatDuration(r.overdueMs, locale)}</Typography.Text>
                {r.escalationLevel > 0 && (
                  <Tag color="volcano" style={{ marginLeft: 6 }}>
                    L{r.escalationLevel}
                  </Tag>
                )}
              </span>
            ),
          },
          {
            key: 'waiting',
            title: t('deal.waitingOn'),
            render: (_, r) => r.waitingOn.map((w) => `${w.name ?? w.userId} (${w.role})`).join(', '),
          },
          {
            key: 'value',
            title: t('list.value'),
            align: 'right',
            render: (_, r) => <Money value={r.value} />,
          },
        ]}
      />
    </Card>
  );
}

function CreditSection({ period }: { period: Period }) {
  const t = useT();
  const { locale } = useLocale();
  const report = useCreditReport(period);
  const items = report.data ?? [];
  const currency = mainCurrency(items.map((i) => ({ currency: i.currency, amount: i.credit })));
  type Row = (typeof items)[number];
  return (
    <Card title={t('reports.credit')} data-testid="report-credit">
      <ApiErrorAlert error={report.error} />
      {items.length === 0 && !report.isPending ? (
        <Empty description={t('reports.noData')} />
      ) : (
        <>
          {currency && (
            <ChartSlot>
              <Bars
                data={items
                  .filter((i) => i.currency === currency)
                  .map((i) => ({ label: i.name, value: i.credit }))}
                color="#7a5af8"
                title={`${t('reports.credit')} (${currency})`}
                format={(v) => formatMoney({ amount: v, currency }, locale, true)}
              />
            </ChartSlot>
          )}
          <Table<Row>
            size="small"
            loading={report.isPending}
            rowKey={(r) => `${r.userId}:${r.currency}`}
            dataSource={items}
            pagination={false}
            columns={[
              { key: 'user', title: t('reports.user'), render: (_, r) => `${r.name} (${r.userId})` },
              {
                key: 'credit',
                title: t('reports.credit.value'),
                align: 'right',
                render: (_, r) => <Money value={{ amount: r.credit, currency: r.currency }} />,
              },
              { key: 'deals', title: t('reports.credit.deals'), dataIndex: 'deals', align: 'right' },
            ]}
          />
        </>
      )}
    </Card>
  );
}

export function ReportsView() {
  const t = useT();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().subtract(30, 'day').startOf('day'),
    dayjs().endOf('day'),
  ]);
  const period = useMemo(() => ({ from: range[0].toISOString(), to: range[1].toISOString() }), [range]);
  return (
    <div>
      <Typography.Title level={1} className="page-title">
        {t('reports.title')}
      </Typography.Title>
      <Space style={{ marginBottom: 12 }}>
        <label htmlFor="report-period">{t('reports.period')}</label>
        <DatePicker.RangePicker
          id={{ start: 'report-period' }}
          value={range}
          allowClear={false}
          onChange={(v) => v?.[0] && v[1] && setRange([v[0].startOf('day'), v[1].endOf('day')])}
        />
      </Space>
      <div className="report-grid">
        <PipelineSection />
        <SlaSection period={period} />
        <CreditSection period={period} />
      </div>
    </div>
  );
}
