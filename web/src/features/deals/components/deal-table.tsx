/** The same deals as a sortable list; the sort is kept in the URL with the filters. */
import { Table, type TableProps } from 'antd';
import { Link } from 'react-router';
import { DueTime } from '@/components/due-time';
import { Money } from '@/components/money';
import { paths } from '@/config/paths';
import type { Deal } from '@/lib/api/types';
import { useLocalized, useT } from '@/lib/i18n';
import { DealBadges, StatusTag } from './deal-badges';

type SortOrder = 'ascend' | 'descend';

export function DealTable({
  deals,
  stageIndex,
  nameOf,
  sort,
  order,
  onSort,
}: {
  deals: Deal[];
  stageIndex: (key: string | undefined) => number;
  nameOf: (id: string) => string;
  sort?: string;
  order?: SortOrder;
  onSort: (sort: string | undefined, order: SortOrder | undefined) => void;
}) {
  const t = useT();
  const localized = useLocalized();
  const sorted = (key: string) => (sort === key ? order : undefined) ?? null;
  const due = (d: Deal) => (d.stage?.dueAt ? new Date(d.stage.dueAt).getTime() : Number.POSITIVE_INFINITY);
  const columns: TableProps<Deal>['columns'] = [
    {
      key: 'title',
      title: t('list.title'),
      sorter: (a, b) => a.title.localeCompare(b.title),
      sortOrder: sorted('title'),
      render: (_, d) => (
        <span>
          <Link to={paths.deal(d.id)}>{d.title}</Link> <DealBadges deal={d} />
        </span>
      ),
    },
    {
      key: 'account',
      title: t('list.account'),
      sorter: (a, b) => a.account.name.localeCompare(b.account.name),
      sortOrder: sorted('account'),
      render: (_, d) => d.account.name,
    },
    {
      key: 'value',
      title: t('list.value'),
      align: 'right',
      sorter: (a, b) => a.value.currency.localeCompare(b.value.currency) || a.value.amount - b.value.amount,
      sortOrder: sorted('value'),
      render: (_, d) => <Money value={d.value} />,
    },
    {
      key: 'stage',
      title: t('list.stage'),
      sorter: (a, b) => stageIndex(a.stage?.key) - stageIndex(b.stage?.key),
      sortOrder: sorted('stage'),
      render: (_, d) => (d.stage ? localized(d.stage.name, d.stage.key) : '—'),
    },
    {
      key: 'status',
      title: t('list.status'),
      sorter: (a, b) => a.status.localeCompare(b.status),
      sortOrder: sorted('status'),
      render: (_, d) => <StatusTag status={d.status} />,
    },
    {
      key: 'waiting',
      title: t('list.waitingOn'),
      render: (_, d) => (d.stage?.waitingOn ?? []).map((w) => `${nameOf(w.userId)} (${w.role})`).join(', '),
    },
    {
      key: 'due',
      title: t('list.due'),
      sorter: (a, b) => due(a) - due(b),
      sortOrder: sorted('due'),
      render: (_, d) => <DueTime dueAt={d.stage?.dueAt} active={d.status === 'active'} />,
    },
  ];
  return (
    <Table<Deal>
      rowKey="id"
      size="middle"
      columns={columns}
      dataSource={deals}
      pagination={{ defaultPageSize: 50, showSizeChanger: true }}
      onChange={(_p, _f, s) => {
        const one = Array.isArray(s) ? s[0] : s;
        onSort(one?.order ? String(one.columnKey) : undefined, one?.order ?? undefined);
      }}
      data-testid="deal-table"
    />
  );
}
