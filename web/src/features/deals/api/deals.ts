/** Deal reads: the filtered list (every page), one deal, its timeline. */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import { allPages } from '@/lib/api/pages';
import { queryKeys } from '@/lib/api/query-keys';
import type { Deal, DealListQuery } from '@/lib/api/types';
import { apiStatuses, type DealFilters } from '../lib/filters';

const PAGE = 200;

function allDeals(query: DealListQuery): Promise<Deal[]> {
  return allPages((cursor) =>
    unwrap(api.GET('/deals', { params: { query: { ...query, limit: PAGE, cursor } } })),
  );
}

/** Every deal matching the filters that the caller may see (status, overdue, person and text go to the API). */
export function useDealList(f: Pick<DealFilters, 'status' | 'overdue' | 'person' | 'q'>) {
  return useQuery({
    queryKey: [...queryKeys.deals, 'list', f.status, f.overdue, f.person ?? '', f.q ?? ''],
    refetchInterval: 30_000,
    placeholderData: (prev) => prev,
    queryFn: async () => {
      const base: DealListQuery = {
        ...(f.overdue ? { overdue: 'true' as const } : {}),
        ...(f.person ? { userId: f.person } : {}),
        ...(f.q ? { q: f.q } : {}),
      };
      const lists = await Promise.all(
        apiStatuses(f.status).map((status) => allDeals(status ? { ...base, status } : base)),
      );
      return lists.flat();
    },
  });
}

export function useDeal(id: string) {
  return useQuery({
    queryKey: queryKeys.deal(id),
    refetchInterval: 15_000,
    queryFn: () => unwrap(api.GET('/deals/{id}', { params: { path: { id } } })),
  });
}

/** The whole timeline, newest first. */
export function useTimeline(id: string) {
  return useQuery({
    queryKey: queryKeys.timeline(id),
    refetchInterval: 15_000,
    queryFn: async () => {
      const events = await allPages((cursor) =>
        unwrap(api.GET('/deals/{id}/timeline', { params: { path: { id }, query: { limit: 200, cursor } } })),
      );
      return events.reverse();
    },
  });
}
