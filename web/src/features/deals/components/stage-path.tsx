/** The stages of the deal's process version across the top: done, current and next, gates marked. */
import { CheckCircleFilled } from '@ant-design/icons';
import type { Deal, StageDefinition } from '@/lib/api/types';
import { useLocalized, useT } from '@/lib/i18n';

export function StagePath({
  deal,
  stages,
  lastStageKey,
}: {
  deal: Deal;
  stages: StageDefinition[];
  /** For an ended deal: the stage it ended in (from the timeline). */
  lastStageKey?: string;
}) {
  const t = useT();
  const localized = useLocalized();
  const currentKey = deal.stage?.key ?? (deal.status === 'completed' ? undefined : lastStageKey);
  const current = currentKey ? stages.findIndex((s) => s.key === currentKey) : stages.length;
  return (
    <nav aria-label={t('deal.path')}>
      <ol className="stage-path" data-testid="stage-path">
        {stages.map((s, i) => {
          const state = i < current ? 'done' : i === current ? 'current' : 'next';
          const ended = state === 'current' && deal.status !== 'active' && deal.status !== 'on_hold';
          const label =
            state === 'done'
              ? t('deal.stepDone')
              : state === 'current'
                ? t('deal.stepCurrent')
                : t('deal.stepNext');
          return (
            <li
              key={s.key}
              className={`stage-path__step stage-path__step--${state}${ended ? ' stage-path__step--ended' : ''}`}
              aria-current={state === 'current' ? 'step' : undefined}
              data-stage={s.key}
              data-state={state}
            >
              <span className="stage-path__index">
                {state === 'done' ? <CheckCircleFilled aria-hidden /> : i + 1}
              </span>
              <span className="stage-path__name">{localized(s.name, s.key)}</span>
              {s.gate && <span className="stage-path__gate">{s.gate}</span>}
              <span className="visually-hidden">({label})</span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
