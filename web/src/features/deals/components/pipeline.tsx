/** The pipeline screen: filters (in the URL), then the board or the sortable list of the same deals. */
import { Alert, Empty, Spin, Typography } from 'antd';
import { lazy, Suspense, useMemo } from 'react';
import { ApiErrorAlert } from '@/components/api-error';
import { useProcessList, useProcessVersion, useUsers } from '@/lib/api/queries';
import { useT } from '@/lib/i18n';
import { useDealList } from '../api/deals';
import type { DealFilters } from '../lib/filters';
import { DealFiltersBar } from './deal-filters';
import { PipelineBoard } from './pipeline-board';

const DEFAULT_PROCESS = 'ltc-standard';
// The list view (antd Table) is loaded when chosen: the board is the landing page.
const DealTable = lazy(() => import('./deal-table').then((m) => ({ default: m.DealTable })));

export function Pipeline({
  filters,
  onChange,
}: {
  filters: DealFilters;
  onChange: (f: DealFilters) => void;
}) {
  const t = useT();
  const processes = useProcessList();
  const list = processes.data?.items ?? [];
  const processKey =
    filters.process ?? (list.some((p) => p.key === DEFAULT_PROCESS) ? DEFAULT_PROCESS : list[0]?.key);
  const process = useProcessVersion(processKey);
  const users = useUsers();
  const deals = useDealList(filters);
  const nameOf = useMemo(() => {
    const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
    return (id: string) => names.get(id) ?? id;
  }, [users.data]);
  const stages = process.data?.definition.stages ?? [];
  const shown = useMemo(
    () => (deals.data ?? []).filter((d) => d.process.key === processKey),
    [deals.data, processKey],
  );
  const stageIndex = (key: string | undefined) => {
    const i = stages.findIndex((s) => s.key === key);
    return i < 0 ? stages.length : i;
  };

  if (processes.isSuccess && list.length === 0) return <Empty description={t('board.noProcess')} />;
  return (
    <div>
      <Typography.Title level={1} className="page-title">
        {t('board.title')}
      </Typography.Title>
      <DealFiltersBar
        value={{ ...filters, process: processKey }}
        onChange={onChange}
        processes={list}
        users={users.data ?? []}
      />
      <ApiErrorAlert error={deals.error ?? process.error ?? processes.error} />
      {deals.isPending || process.isPending ? (
        <Spin style={{ display: 'block', margin: 48 }} />
      ) : (
        <>
          <p className="board__loaded" aria-live="polite" data-testid="deal-count">
            {t('board.loaded', { count: shown.length })}
            {deals.isFetching && <Spin size="small" style={{ marginLeft: 8 }} />}
          </p>
          {filters.view === 'list' ? (
            <Suspense fallback={<Spin />}>
              <DealTable
                deals={shown}
                stageIndex={stageIndex}
                nameOf={nameOf}
                sort={filters.sort}
                order={filters.order}
                onSort={(sort, order) => onChange({ ...filters, sort, order })}
              />
            </Suspense>
          ) : stages.length ? (
            <PipelineBoard stages={stages} deals={shown} nameOf={nameOf} />
          ) : (
            <Alert type="info" title={t('board.noProcess')} />
          )}
        </>
      )}
    </div>
  );
}
