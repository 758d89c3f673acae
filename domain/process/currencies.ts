/**
 * Which currencies a process can judge. A value condition (`valueAtLeast: { amount, currency }`)
 * only applies to deals in its currency, so a deal in a currency that some stage has no threshold
 * for would skip that stage's extra approvers: such a deal is refused at creation instead.
 *
 * PURE: types only; workflow code may import it.
 */
import type { ProcessDefinition, StageDefinition, ValidationIssue } from './types';

/** `any`: the process has no value conditions and lists no currencies, so the value never matters. */
export type JudgedCurrencies = { any: true } | { any: false; currencies: string[] };

/** Stages with at least one value condition. */
function conditioned(def: ProcessDefinition): { stage: StageDefinition; index: number }[] {
  return def.stages
    .map((stage, index) => ({ stage, index }))
    .filter(({ stage }) => (stage.when?.length ?? 0) > 0);
}

/** Currencies a stage's conditions name, in order; the legacy bare-number form names none. */
function namedBy(stage: StageDefinition): string[] {
  const out: string[] = [];
  for (const condition of stage.when ?? []) {
    const threshold = condition.if.valueAtLeast;
    if (typeof threshold !== 'number' && !out.includes(threshold.currency)) out.push(threshold.currency);
  }
  return out;
}

/** The listed currencies, or else every currency a value condition names (first appearance order). */
function accepted(def: ProcessDefinition, stages: { stage: StageDefinition }[]): string[] {
  if (def.currencies) return [...new Set(def.currencies)];
  return [...new Set(stages.flatMap(({ stage }) => namedBy(stage)))];
}

/**
 * The currencies a deal on `def` may be in. A currency is judged when
 * - the process lists it in `currencies`, or lists none, and
 * - every stage with value conditions has a condition in that currency.
 * With no value conditions: the listed currencies, or any currency when none are listed. A stage
 * whose conditions are all legacy bare numbers (old stored versions) judges no currency.
 */
export function currenciesJudgedBy(def: ProcessDefinition): JudgedCurrencies {
  const stages = conditioned(def);
  if (stages.length === 0 && !def.currencies) return { any: true };
  const named = stages.map(({ stage }) => new Set(namedBy(stage)));
  return { any: false, currencies: accepted(def, stages).filter((c) => named.every((set) => set.has(c))) };
}

export function judgesCurrency(def: ProcessDefinition, currency: string): boolean {
  const judged = currenciesJudgedBy(def);
  return judged.any || judged.currencies.includes(currency);
}

/**
 * Validation of the currencies of a new definition: every stage with value conditions names every
 * accepted currency, and with a `currencies` list no condition names a currency outside it. Then
 * `currenciesJudgedBy` answers exactly the accepted currencies.
 */
export function checkCurrencies(def: ProcessDefinition): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stages = conditioned(def);
  const wanted = accepted(def, stages);
  const listed = def.currencies ? new Set(def.currencies) : null;
  for (const { stage, index } of stages) {
    const named = namedBy(stage);
    for (const currency of wanted) {
      if (named.includes(currency)) continue;
      issues.push({
        path: `stages[${index}].when`,
        message: listed
          ? `no value condition in ${currency}, which currencies lists: add a threshold in ${currency}`
          : `no value condition in ${currency}, which another stage names: every stage with value ` +
            `conditions must name the same currencies (or list the accepted ones in currencies)`,
      });
    }
    if (!listed) continue;
    stage.when?.forEach((condition, k) => {
      const threshold = condition.if.valueAtLeast;
      if (typeof threshold !== 'number' && !listed.has(threshold.currency)) {
        issues.push({
          path: `stages[${index}].when[${k}].if.valueAtLeast.currency`,
          message: `${threshold.currency} is not in currencies (${[...listed].join(', ')})`,
        });
      }
    });
  }
  return issues;
}
