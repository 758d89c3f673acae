/**
 * Queries more than one feature reads: the caller, the users the caller may see, and process
 * definitions (stage names and order for the board, the deal page and the editor).
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client';
import { allPages } from './pages';
import { queryKeys } from './query-keys';
import type { User } from './types';

export const meQuery = queryOptions({
  queryKey: queryKeys.me,
  queryFn: () => unwrap(api.GET('/users/me')),
  staleTime: 5 * 60_000,
});

export function useMe() {
  return useQuery(meQuery);
}

/** Every user the caller may see (ops: all; managers: their line; members: themselves). */
export function useUsers(enabled = true) {
  return useQuery({
    queryKey: queryKeys.users,
    enabled,
    staleTime: 5 * 60_000,
    queryFn: () =>
      allPages((cursor) => unwrap(api.GET('/users', { params: { query: { limit: 200, cursor } } }))),
  });
}

export function useProcessList() {
  return useQuery({
    queryKey: queryKeys.processes,
    staleTime: 60_000,
    queryFn: () => unwrap(api.GET('/process-definitions', { params: { query: { limit: 200 } } })),
  });
}

/** One version of a process definition (versions never change), or the latest when `version` is absent. */
export function useProcessVersion(key: string | undefined, version?: number) {
  return useQuery({
    queryKey: queryKeys.processVersion(key ?? '', version),
    enabled: Boolean(key),
    staleTime: version ? Number.POSITIVE_INFINITY : 60_000,
    queryFn: () =>
      version
        ? unwrap(
            api.GET('/process-definitions/{key}/versions/{version}', {
              params: { path: { key: key!, version } },
            }),
          )
        : unwrap(api.GET('/process-definitions/{key}', { params: { path: { key: key! } } })),
  });
}

export type Role = User['roles'][number];
export const isOps = (u: User | undefined) => Boolean(u?.roles.some((r) => r === 'ops' || r === 'admin'));
export const isManager = (u: User | undefined) => Boolean(u?.roles.includes('manager'));
/** Managers and ops act on deals (reassign, hold, cancel, amend) and read the board and reports. */
export const canManage = (u: User | undefined) => isOps(u) || isManager(u);
