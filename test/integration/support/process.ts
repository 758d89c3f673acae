/** Small process definitions for tests: second- and hour-scale stages built from a few defaults. */
import type { StageDefinition } from '../../../domain/process/types';

/** A stage the whole triangle signs (`rule: all`), due in an hour. */
export function stage(key: string, over: Partial<StageDefinition> = {}): StageDefinition {
  return {
    key,
    name: { en: key, zh: key },
    approvers: ['AR', 'SR', 'FR'],
    rule: 'all',
    sla: { within: '1h' },
    weights: { AR: 0.4, SR: 0.3, FR: 0.3 },
    ...over,
  };
}

/** A stage only the AR signs. */
export function soloStage(key: string, over: Partial<StageDefinition> = {}): StageDefinition {
  return stage(key, { approvers: ['AR'], weights: { AR: 1 }, ...over });
}
