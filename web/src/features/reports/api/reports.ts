/** Reports for managers (their line) and ops: pipeline, SLA and credit. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import { allPages } from '@/lib/api/pages';
import { queryKeys } from '@/lib/api/query-keys';

export interface Period {
  from: string;
  to: string;
}

export function usePipelineReport(processKey?: string) {
  return useQuery({
    queryKey: [...queryKeys.reports, 'pipeline', processKey ?? ''],
    queryFn: () =>
      unwrap(api.GET('/reports/pipeline', { params: { query: processKey ? { processKey } : {} } })),
  });
}

export function useSlaReport(period: Period, processKey?: string) {
  return useQuery({
    queryKey: [...queryKeys.reports, 'sla', period.from, period.to, processKey ?? ''],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/reports/sla', { params: { query: { ...period, ...(processKey ? { processKey } : {}) } } }),
      ),
  });
}

/** Every page of the credit report for the period. */
export function useCreditReport(period: Period, processKey?: string) {
  return useQuery({
    queryKey: [...queryKeys.reports, 'credit', period.from, period.to, processKey ?? ''],
    placeholderData: keepPreviousData,
    queryFn: () =>
      allPages((cursor) =>
        unwrap(
          api.GET('/reports/credit', {
            params: { query: { ...period, ...(processKey ? { processKey } : {}), limit: 200, cursor } },
          }),
        ),
      ),
  });
}
