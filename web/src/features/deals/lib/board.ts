/** Groups deals into the columns of the chosen process, with each column's active count and totals. */
import type { Deal, StageDefinition } from '@/lib/api/types';
import { type MoneyLike, totalsByCurrency } from '@/lib/format';

export interface BoardColumn {
  key: string;
  stage?: StageDefinition;
  deals: Deal[];
  activeCount: number;
  activeTotals: MoneyLike[];
}

/** One column per stage in process order; deals without a stage (ended) in a last column when any. */
export function boardColumns(stages: StageDefinition[], deals: Deal[]): BoardColumn[] {
  const byStage = new Map<string, Deal[]>(stages.map((s) => [s.key, []]));
  const ended: Deal[] = [];
  for (const d of deals) {
    const list = d.stage ? byStage.get(d.stage.key) : undefined;
    if (list) list.push(d);
    else ended.push(d);
  }
  const column = (key: string, list: Deal[], stage?: StageDefinition): BoardColumn => {
    const active = list.filter((d) => d.status === 'active');
    return {
      key,
      stage,
      deals: list,
      activeCount: active.length,
      activeTotals: totalsByCurrency(active.map((d) => d.value)),
    };
  };
  const columns = stages.map((s) => column(s.key, byStage.get(s.key) ?? [], s));
  if (ended.length) columns.push(column('__ended', ended));
  return columns;
}

/** Overdue: an active deal past its stage's due time. */
export function dealOverdue(d: Deal, now = Date.now()): boolean {
  return d.status === 'active' && Boolean(d.stage?.dueAt && new Date(d.stage.dueAt).getTime() < now);
}
