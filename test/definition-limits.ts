/**
 * Changes that take a valid process definition beyond one of its limits, with the path and message
 * of the error each must give. Shared by the unit test of validation and the integration test of
 * validate/apply over HTTP. A change expects `stages[0]` to have at least one escalation level.
 */

// biome-ignore lint/suspicious/noExplicitAny: the changes build deliberately malformed definitions
export type DefinitionChange = (def: any) => void;

export const many = <T>(n: number, item: (i: number) => T): T[] =>
  Array.from({ length: n }, (_, i) => item(i));

const threshold = (amount: number) => ({ valueAtLeast: { amount, currency: 'CNY' } });

export const BEYOND_LIMITS: [what: string, change: DefinitionChange, path: string, message: RegExp][] = [
  [
    '51 stages',
    (d) => (d.stages = many(51, (i) => ({ ...d.stages[0], key: `s${i}`, onReject: undefined }))),
    'stages',
    /at most 50 stages/,
  ],
  [
    '21 approvers',
    (d) => (d.stages[0].approvers = many(21, (i) => `group:g${i}`)),
    'stages[0].approvers',
    /at most 20 approvers/,
  ],
  [
    '21 conditions',
    (d) => (d.stages[0].when = many(21, (i) => ({ if: threshold(i), add: ['manager'] }))),
    'stages[0].when',
    /at most 20 conditions/,
  ],
  [
    '21 approvers added by one condition',
    (d) => (d.stages[0].when = [{ if: threshold(1), add: many(21, (i) => `group:g${i}`) }]),
    'stages[0].when[0].add',
    /at most 20 approvers/,
  ],
  [
    '11 reminders',
    (d) => (d.stages[0].sla.remind = many(11, (i) => `${11 - i}h`)),
    'stages[0].sla.remind',
    /at most 10 reminders/,
  ],
  [
    '11 escalation levels',
    (d) => (d.stages[0].sla.escalate = many(11, (i) => ({ after: `${i}d`, notify: ['manager'] }))),
    'stages[0].sla.escalate',
    /at most 10 escalation levels/,
  ],
  [
    '21 targets of one level',
    (d) => (d.stages[0].sla.escalate[0].notify = many(21, (i) => `group:g${i}`)),
    'stages[0].sla.escalate[0].notify',
    /at most 20 targets/,
  ],
  ['a 65-character key', (d) => (d.key = 'k'.repeat(65)), 'key', /at most 64 characters/],
  ['a 201-character name', (d) => (d.name.en = 'n'.repeat(201)), 'name.en', /at most 200 characters/],
  ['within over a year', (d) => (d.stages[0].sla.within = '366d'), 'stages[0].sla.within', /limit of 365d/],
  [
    'a reminder over a year',
    (d) => (d.stages[0].sla = { within: '400d', remind: ['380d'] }),
    'stages[0].sla.remind[0]',
    /limit of 365d/,
  ],
  [
    'an escalation after over a year',
    (d) => (d.stages[0].sla.escalate = [{ after: '53w', notify: ['manager'] }]),
    'stages[0].sla.escalate[0].after',
    /limit of 365d/,
  ],
];
