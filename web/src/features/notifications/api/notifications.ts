import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import { queryKeys } from '@/lib/api/query-keys';

/** The newest notifications (unread first, as the API orders them); refreshed every 30 s. */
export function useInbox() {
  return useQuery({
    queryKey: queryKeys.notifications,
    refetchInterval: 30_000,
    queryFn: () => unwrap(api.GET('/me/notifications', { params: { query: { limit: 50 } } })),
  });
}

export function useMarkRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/me/notifications/{id}/read', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.notifications }),
  });
}
