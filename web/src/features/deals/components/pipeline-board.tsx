/** One column per stage of the process, in order, each headed by its active count and total value. */
import { Tag } from 'antd';
import { Money } from '@/components/money';
import type { Deal, StageDefinition } from '@/lib/api/types';
import { useLocalized, useT } from '@/lib/i18n';
import { boardColumns } from '../lib/board';
import { DealCard } from './deal-card';

export function PipelineBoard({
  stages,
  deals,
  nameOf,
}: {
  stages: StageDefinition[];
  deals: Deal[];
  nameOf: (id: string) => string;
}) {
  const t = useT();
  const localized = useLocalized();
  const columns = boardColumns(stages, deals);
  return (
    <div className="board" data-testid="board">
      {columns.map((c) => {
        const name = c.stage ? localized(c.stage.name, c.key) : t('board.ended');
        const headingId = `col-${c.key}`;
        return (
          <section key={c.key} className="board__column" aria-labelledby={headingId} data-stage={c.key}>
            <header className="board__header">
              <h2 id={headingId} className="board__title">
                {name} {c.stage?.gate && <Tag color="purple">{c.stage.gate}</Tag>}
              </h2>
              <div className="board__summary" data-testid="column-summary">
                <span className="board__count">{c.activeCount}</span>
                {c.activeTotals.length === 0 ? (
                  <span className="board__total">—</span>
                ) : (
                  c.activeTotals.map((m) => (
                    <span key={m.currency} className="board__total">
                      <Money value={m} compact />
                    </span>
                  ))
                )}
              </div>
            </header>
            {c.deals.length === 0 ? (
              <p className="board__empty">{t('board.empty')}</p>
            ) : (
              <ul className="board__cards">
                {c.deals.map((d) => (
                  <DealCard key={d.id} deal={d} nameOf={nameOf} />
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </div>
  );
}
