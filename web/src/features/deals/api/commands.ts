/**
 * Manager and ops commands on a deal: reassign, hold, resume, cancel, amend. A refusal (403, 409)
 * carries the API's `detail`; either way the deal is refreshed to its real state.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, idempotencyKey, unwrap } from '@/lib/api/client';
import { queryKeys } from '@/lib/api/query-keys';
import type { BodyOf, Deal } from '@/lib/api/types';

export type DealCommand =
  | { kind: 'reassign'; body: BodyOf<'/deals/{id}/reassign', 'post'> }
  | { kind: 'hold'; body: BodyOf<'/deals/{id}/hold', 'post'> }
  | { kind: 'resume' }
  | { kind: 'cancel'; body: BodyOf<'/deals/{id}/cancel', 'post'> }
  | { kind: 'amend'; body: BodyOf<'/deals/{id}', 'patch'> };

function send(id: string, c: DealCommand): Promise<Deal> {
  const params = { path: { id } };
  const headers = { 'Idempotency-Key': idempotencyKey() };
  switch (c.kind) {
    case 'reassign':
      return unwrap(api.POST('/deals/{id}/reassign', { params, headers, body: c.body }));
    case 'hold':
      return unwrap(api.POST('/deals/{id}/hold', { params, headers, body: c.body }));
    case 'resume':
      return unwrap(api.POST('/deals/{id}/resume', { params, headers, body: {} }));
    case 'cancel':
      return unwrap(api.POST('/deals/{id}/cancel', { params, headers, body: c.body }));
    case 'amend':
      return unwrap(api.PATCH('/deals/{id}', { params, headers, body: c.body }));
  }
}

export function useDealCommand(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (c: DealCommand) => send(id, c),
    onSuccess: (deal) => qc.setQueryData(queryKeys.deal(id), deal),
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.deals }),
  });
}
