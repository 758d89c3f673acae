/**
 * The board's filters, kept in the URL (`?process=…&status=open&overdue=1&person=ar-li&q=metro&view=list`),
 * so a filtered board can be bookmarked, shared and reloaded.
 */
import type { DealStatus } from '@/lib/api/types';

export type StatusFilter = 'open' | 'all' | DealStatus;
export type View = 'board' | 'list';

export interface DealFilters {
  process?: string;
  status: StatusFilter;
  overdue: boolean;
  person?: string;
  q?: string;
  view: View;
  sort?: string;
  order?: 'ascend' | 'descend';
}

const STATUSES: StatusFilter[] = ['open', 'all', 'active', 'on_hold', 'completed', 'lost', 'cancelled'];

export function filtersFromParams(p: URLSearchParams): DealFilters {
  const status = p.get('status') as StatusFilter | null;
  const order = p.get('order');
  return {
    process: p.get('process') || undefined,
    status: status && STATUSES.includes(status) ? status : 'open',
    overdue: p.get('overdue') === '1',
    person: p.get('person') || undefined,
    q: p.get('q') || undefined,
    view: p.get('view') === 'list' ? 'list' : 'board',
    sort: p.get('sort') || undefined,
    order: order === 'ascend' || order === 'descend' ? order : undefined,
  };
}

export function filtersToParams(f: DealFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.process) p.set('process', f.process);
  if (f.view !== 'board') p.set('view', f.view);
  if (f.status !== 'open') p.set('status', f.status);
  if (f.overdue) p.set('overdue', '1');
  if (f.person) p.set('person', f.person);
  if (f.q) p.set('q', f.q);
  if (f.sort) p.set('sort', f.sort);
  if (f.order) p.set('order', f.order);
  return p;
}

/** The API statuses one filter needs (one paged request each; `undefined` = every status). */
export function apiStatuses(s: StatusFilter): (DealStatus | undefined)[] {
  if (s === 'open') return ['active', 'on_hold'];
  if (s === 'all') return [undefined];
  return [s];
}
