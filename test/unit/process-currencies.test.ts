import { checkCurrencies, currenciesJudgedBy, judgesCurrency } from '../../domain/process/currencies';
import type { ConditionalApprovers, ProcessDefinition, StageDefinition } from '../../domain/process/types';

const stage = (key: string, when?: ConditionalApprovers[]): StageDefinition => ({
  key,
  name: { en: key, zh: key },
  approvers: ['AR'],
  rule: 'all',
  sla: { within: '1d' },
  weights: { AR: 1 },
  ...(when ? { when } : {}),
});
const at = (amount: number, currency: string): ConditionalApprovers => ({
  if: { valueAtLeast: { amount, currency } },
  add: ['manager'],
});
const def = (stages: StageDefinition[], currencies?: string[]): ProcessDefinition => ({
  key: 'p',
  name: { en: 'P', zh: 'P' },
  ...(currencies ? { currencies } : {}),
  stages,
});

describe('currenciesJudgedBy', () => {
  test('no value conditions and no list: any currency', () => {
    expect(currenciesJudgedBy(def([stage('a'), stage('b')]))).toEqual({ any: true });
    expect(judgesCurrency(def([stage('a')]), 'EUR')).toBe(true);
  });

  test('no value conditions with a list: the list', () => {
    expect(currenciesJudgedBy(def([stage('a')], ['CNY']))).toEqual({ any: false, currencies: ['CNY'] });
    expect(judgesCurrency(def([stage('a')], ['CNY']), 'USD')).toBe(false);
  });

  test('without a list: the currencies every stage with conditions names', () => {
    const d = def([
      stage('a', [at(5_000_000, 'CNY'), at(700_000, 'USD')]),
      stage('b'),
      stage('c', [at(700_000, 'USD'), at(9, 'EUR'), at(5_000_000, 'CNY')]),
    ]);
    expect(currenciesJudgedBy(d)).toEqual({ any: false, currencies: ['CNY', 'USD'] });
    expect(judgesCurrency(d, 'EUR')).toBe(false);
  });

  test('with a list: the listed currencies that every stage with conditions names', () => {
    const d = def([stage('a', [at(1, 'CNY'), at(1, 'USD')]), stage('b', [at(1, 'CNY')])], ['USD', 'CNY']);
    expect(currenciesJudgedBy(d)).toEqual({ any: false, currencies: ['CNY'] });
  });

  test('legacy bare-number thresholds name no currency: nothing can be judged', () => {
    const legacy = def([stage('a', [{ if: { valueAtLeast: 5_000_000 }, add: ['manager'] }])]);
    expect(currenciesJudgedBy(legacy)).toEqual({ any: false, currencies: [] });
    expect(judgesCurrency(legacy, 'CNY')).toBe(false);
  });
});

describe('checkCurrencies', () => {
  test('consistent stages: no issue, and the judged currencies are the named ones', () => {
    const d = def([stage('a', [at(1, 'CNY'), at(2, 'USD')]), stage('b', [at(3, 'USD'), at(4, 'CNY')])]);
    expect(checkCurrencies(d)).toEqual([]);
    expect(checkCurrencies({ ...d, currencies: ['USD', 'CNY'] })).toEqual([]);
  });

  test('a stage missing a currency another stage names', () => {
    const d = def([stage('a', [at(1, 'CNY'), at(2, 'USD')]), stage('b'), stage('c', [at(3, 'CNY')])]);
    expect(checkCurrencies(d).map((i) => i.path)).toEqual(['stages[2].when']);
    expect(checkCurrencies(d)[0].message).toMatch(/no value condition in USD/);
  });

  test('with a list: every listed currency in every stage with conditions, and no other', () => {
    const d = def([stage('a', [at(1, 'CNY'), at(2, 'EUR')])], ['CNY', 'USD']);
    expect(checkCurrencies(d)).toEqual([
      {
        path: 'stages[0].when',
        message: expect.stringMatching(/no value condition in USD, which currencies lists/),
      },
      { path: 'stages[0].when[1].if.valueAtLeast.currency', message: 'EUR is not in currencies (CNY, USD)' },
    ]);
  });
});
