/** The verified caller of a request, from the bearer token. Never from the request body. */
export const USER_ROLES = ['admin', 'ops', 'manager', 'member'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface Principal {
  id: string;
  name: string;
  email: string;
  roles: UserRole[];
  managerId: string | null;
  groups: string[];
  locale: 'zh' | 'en';
  tokenId: string;
  /** Whose active delegate the caller is, as of the request's authentication (else looked up). */
  delegators?: string[];
  /** A manager's reporting line, transitively, as of the request's authentication (else looked up). */
  reportingLine?: string[];
}

export const isOps = (p: Principal): boolean => p.roles.includes('ops') || p.roles.includes('admin');
export const isAdmin = (p: Principal): boolean => p.roles.includes('admin');
export const isManager = (p: Principal): boolean => p.roles.includes('manager');
