/** The caller's sign-off tasks and the sign-off itself. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, idempotencyKey, unwrap } from '@/lib/api/client';
import { allPages } from '@/lib/api/pages';
import { queryKeys } from '@/lib/api/query-keys';
import type { SignoffBody } from '@/lib/api/types';

/** Every task waiting on the caller (as holder or delegate), soonest due first. */
export function useTasks() {
  return useQuery({
    queryKey: queryKeys.tasks,
    refetchInterval: 20_000,
    queryFn: () =>
      allPages((cursor) => unwrap(api.GET('/me/tasks', { params: { query: { limit: 200, cursor } } }))),
  });
}

/** Approve or reject; whatever the answer, the deal, the board and the task list are refreshed. */
export function useSignoff(dealId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: SignoffBody) =>
      unwrap(
        api.POST('/deals/{id}/signoffs', {
          params: { path: { id: dealId } },
          headers: { 'Idempotency-Key': idempotencyKey() },
          body,
        }),
      ),
    onSuccess: (deal) => qc.setQueryData(queryKeys.deal(dealId), deal),
    onSettled: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: queryKeys.deals }),
        qc.invalidateQueries({ queryKey: queryKeys.tasks }),
        qc.invalidateQueries({ queryKey: queryKeys.notifications }),
      ]),
  });
}
