/**
 * Query keys shared across features, so one feature's mutation can refresh another's data without
 * importing it (e.g. a sign-off refreshes the deal, the board and the task list).
 */
export const queryKeys = {
  me: ['me'] as const,
  users: ['users'] as const,
  deals: ['deals'] as const,
  deal: (id: string) => ['deals', 'one', id] as const,
  timeline: (id: string) => ['deals', 'timeline', id] as const,
  tasks: ['tasks'] as const,
  notifications: ['notifications'] as const,
  processes: ['processes'] as const,
  processVersion: (key: string, version?: number) => ['processes', key, version ?? 'latest'] as const,
  reports: ['reports'] as const,
};
