/**
 * Validation of process definitions: structure (zod) first, then semantic checks.
 * Every issue names the exact path in the form `stages[3].sla.remind[0]`; all errors are
 * collected, not just the first.
 */
import type { z } from 'zod';
import { parseDuration } from '../domain/duration';
import { amountProblem, isKnownCurrency } from '../domain/money';
import { checkCurrencies } from '../domain/process/currencies';
import { MAX_DURATION_MS, MAX_DURATION_TEXT } from '../domain/process/limits';
import {
  LOST,
  type ProcessDefinition,
  type StageDefinition,
  TRIANGLE_ROLES,
  type TriangleRole,
  type ValidationIssue,
} from '../domain/process/types';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '../domain/text';
import { GROUP_PREFIX, processDefinitionSchema } from './schema';

export interface ValidateOptions {
  /**
   * Groups that exist. Given when a definition is applied; then every `group:<name>` must be one
   * of them. Omitted for offline validation, where group names are not checked.
   */
  knownGroups?: string[];
}

export type ValidationResult =
  | { ok: true; definition: ProcessDefinition; warnings: ValidationIssue[] }
  | { ok: false; errors: ValidationIssue[] };

const WEIGHT_SUM_TOLERANCE = 0.001;

type PathPart = PropertyKey;

/** `['stages', 3, 'sla', 'remind', 0]` → `stages[3].sla.remind[0]`; the root is ``. */
export function formatIssuePath(path: readonly PathPart[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const name = typeof part === 'symbol' ? (part.description ?? '') : String(part);
      out += out === '' ? name : `.${name}`;
    }
  }
  return out;
}

/** Flattens zod issues into `{path, message}`, with friendlier messages than zod's defaults. */
export function zodIssuesToValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const visit = (issue: z.core.$ZodIssue, prefix: readonly PathPart[]) => {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const inWeights = path[path.length - 1] === 'weights';
        for (const key of issue.keys) {
          out.push({
            path: formatIssuePath([...path, key]),
            message: inWeights
              ? `"${key}" is not a triangle role; weights may name only ${TRIANGLE_ROLES.join(', ')}`
              : `unknown field "${key}"`,
          });
        }
        return;
      }
      case 'invalid_union': {
        // When exactly one branch matched the shape (its issues lie below the union's own path),
        // its issues say more than "no branch matched".
        const deep = issue.errors.filter(
          (branch) => branch.length > 0 && branch.every((i) => i.path.length > 0),
        );
        if (deep.length === 1) {
          for (const inner of deep[0]) visit(inner, path);
          return;
        }
        out.push({ path: formatIssuePath(path), message: issue.message });
        return;
      }
      case 'invalid_type':
        if (issue.expected === 'int' && !/received undefined$/.test(issue.message)) {
          out.push({ path: formatIssuePath(path), message: 'must be a whole number' });
          return;
        }
        out.push({
          path: formatIssuePath(path),
          message: /received undefined$/.test(issue.message)
            ? `is required (${issue.expected})`
            : issue.message.replace(/^Invalid input: /, ''),
        });
        return;
      default:
        out.push({ path: formatIssuePath(path), message: issue.message });
    }
  };
  for (const issue of issues) visit(issue, []);
  return out;
}

function groupName(entry: string): string | null {
  return entry.startsWith(GROUP_PREFIX) ? entry.slice(GROUP_PREFIX.length) : null;
}

const isTriangleRole = (value: string): value is TriangleRole =>
  (TRIANGLE_ROLES as readonly string[]).includes(value);

/** Validates `input` (already parsed from YAML or JSON) as a process definition. */
export function validateProcessDefinition(input: unknown, opts: ValidateOptions = {}): ValidationResult {
  // Postgres stores the definition as jsonb: one string it cannot hold, anywhere, refuses it all.
  const unstorable = findUnstorableText(input);
  if (unstorable) {
    const what = unstorable.key ? 'this field name' : 'this text';
    return {
      ok: false,
      errors: [{ path: formatIssuePath(unstorable.path), message: `${what} ${UNSTORABLE_TEXT_MESSAGE}` }],
    };
  }
  const parsed = processDefinitionSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: zodIssuesToValidationIssues(parsed.error.issues) };

  const definition = parsed.data;
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const error = (path: string, message: string) => errors.push({ path, message });
  const warn = (path: string, message: string) => warnings.push({ path, message });
  const knownGroups = opts.knownGroups ? new Set(opts.knownGroups) : null;
  const checkGroup = (path: string, entry: string) => {
    const group = groupName(entry);
    if (knownGroups && group !== null && !knownGroups.has(group)) error(path, `unknown group "${group}"`);
  };

  if (definition.stages.length === 0) error('stages', 'a process needs at least one stage');

  const firstIndexByKey = new Map<string, number>();
  definition.stages.forEach((stage, i) => {
    const at = `stages[${i}]`;
    if (stage.key === LOST)
      error(`${at}.key`, `"${LOST}" is reserved (it is the onReject target for a lost deal)`);
    const first = firstIndexByKey.get(stage.key);
    if (first !== undefined) error(`${at}.key`, `duplicate stage key "${stage.key}" (also stages[${first}])`);
    else firstIndexByKey.set(stage.key, i);
  });

  const firstIndexByGate = new Map<string, number>();
  definition.stages.forEach((stage, i) => {
    const at = `stages[${i}]`;
    if (stage.gate !== undefined) {
      const first = firstIndexByGate.get(stage.gate);
      if (first !== undefined) warn(`${at}.gate`, `gate "${stage.gate}" is also used by stages[${first}]`);
      else firstIndexByGate.set(stage.gate, i);
    }
    checkApprovers(stage, at, error, warn, checkGroup);
    checkRule(stage, at, error);
    checkWeights(stage, at, error);
    checkOnReject(stage, i, at, firstIndexByKey, error);
    checkSla(stage, at, error, warn, checkGroup);
    checkThresholds(stage, at, error);
  });
  checkSeparation(definition, error);
  checkCurrencyList(definition, error);
  for (const issue of checkCurrencies(definition)) error(issue.path, issue.message);

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, definition, warnings };
}

type Report = (path: string, message: string) => void;
type GroupCheck = (path: string, entry: string) => void;

function checkApprovers(
  stage: StageDefinition,
  at: string,
  error: Report,
  warn: Report,
  checkGroup: GroupCheck,
) {
  if (stage.approvers.length === 0) error(`${at}.approvers`, 'a stage needs at least one approver');
  const seen = new Set<string>();
  stage.approvers.forEach((approver, j) => {
    if (seen.has(approver)) error(`${at}.approvers[${j}]`, `duplicate approver "${approver}"`);
    seen.add(approver);
    checkGroup(`${at}.approvers[${j}]`, approver);
  });
  stage.when?.forEach((condition, k) => {
    const path = `${at}.when[${k}].add`;
    if (condition.add.length === 0) error(path, 'add needs at least one approver');
    const added = new Set<string>();
    condition.add.forEach((approver, m) => {
      if (seen.has(approver)) warn(`${path}[${m}]`, `"${approver}" is already an approver of this stage`);
      else if (added.has(approver)) warn(`${path}[${m}]`, `"${approver}" is listed twice`);
      added.add(approver);
      checkGroup(`${path}[${m}]`, approver);
    });
  });
}

function checkRule(stage: StageDefinition, at: string, error: Report) {
  const rule = stage.rule;
  if (typeof rule !== 'object') return;
  if ('atLeast' in rule) {
    const count = stage.approvers.length;
    if (rule.atLeast < 1) error(`${at}.rule.atLeast`, `atLeast must be at least 1 (got ${rule.atLeast})`);
    else if (rule.atLeast > count) {
      error(`${at}.rule.atLeast`, `atLeast ${rule.atLeast} is more than the stage's ${count} approver(s)`);
    }
    return;
  }
  const threshold = rule.weight;
  if (!(threshold > 0 && threshold <= 1)) {
    error(`${at}.rule.weight`, `weight threshold must be in (0, 1] (got ${threshold})`);
    return;
  }
  const roles = stage.approvers.filter(isTriangleRole);
  if (roles.length === 0) {
    error(`${at}.rule.weight`, 'a weight rule needs at least one triangle-role approver (AR, SR or FR)');
    return;
  }
  const reachable = roles.reduce((sum, role) => sum + (stage.weights[role] ?? 0), 0);
  if (reachable + WEIGHT_SUM_TOLERANCE < threshold) {
    error(
      `${at}.rule.weight`,
      `threshold ${threshold} cannot be reached: the approving roles' weights sum to ${round(reachable)}`,
    );
  }
}

function checkWeights(stage: StageDefinition, at: string, error: Report) {
  const entries = Object.entries(stage.weights) as [string, number | undefined][];
  for (const [key] of entries) {
    // The schema only lets triangle roles through; kept for definitions built in code.
    if (!isTriangleRole(key)) error(`${at}.weights.${key}`, `"${key}" is not a triangle role`);
  }
  const sum = entries.reduce((total, [, value]) => total + (value ?? 0), 0);
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE)
    error(`${at}.weights`, `weights must sum to 1 (got ${round(sum)})`);
}

function checkOnReject(
  stage: StageDefinition,
  i: number,
  at: string,
  indexByKey: Map<string, number>,
  error: Report,
) {
  if (stage.onReject === undefined || stage.onReject === LOST) return;
  const target = indexByKey.get(stage.onReject);
  if (target === undefined) {
    error(`${at}.onReject`, `unknown stage "${stage.onReject}" (use a stage key or "${LOST}")`);
  } else if (target > i) {
    error(`${at}.onReject`, `"${stage.onReject}" is a later stage; a rejection can only send a deal back`);
  }
}

function checkSla(stage: StageDefinition, at: string, error: Report, warn: Report, checkGroup: GroupCheck) {
  const sla = stage.sla;
  const within = parseDuration(sla.within);
  if (within === null) error(`${at}.sla.within`, durationMessage(sla.within));
  else if (within === 0) error(`${at}.sla.within`, 'within must be longer than zero');
  else if (within > MAX_DURATION_MS) error(`${at}.sla.within`, tooLong(sla.within));

  const reminders: (number | null)[] = [];
  sla.remind?.forEach((text, j) => {
    const path = `${at}.sla.remind[${j}]`;
    const ms = parseDuration(text);
    reminders.push(ms);
    if (ms === null) error(path, durationMessage(text));
    else if (ms === 0) error(path, 'a reminder must be before the due time (longer than zero)');
    else if (ms > MAX_DURATION_MS) error(path, tooLong(text));
    else if (within !== null && within > 0 && ms >= within) {
      error(path, `reminder ${text} before due must be shorter than within (${sla.within})`);
    }
  });
  const valid = reminders.filter((ms): ms is number => ms !== null);
  if (valid.some((ms, j) => j > 0 && ms >= valid[j - 1])) {
    warn(`${at}.sla.remind`, 'reminders are usually listed longest first (descending time left)');
  }

  if (!sla.escalate || sla.escalate.length === 0) {
    warn(`${at}.sla.escalate`, 'no escalation levels: an overdue stage only waits');
    return;
  }
  let previous: { ms: number; text: string } | null = null;
  sla.escalate.forEach((level, k) => {
    const path = `${at}.sla.escalate[${k}]`;
    const ms = parseDuration(level.after);
    if (ms === null) error(`${path}.after`, durationMessage(level.after));
    else if (ms > MAX_DURATION_MS) error(`${path}.after`, tooLong(level.after));
    else {
      if (previous && ms <= previous.ms) {
        error(
          `${path}.after`,
          `after ${level.after} must be later than the previous level (${previous.text})`,
        );
      }
      previous = { ms, text: level.after };
    }
    if (level.notify.length === 0 && level.action === undefined) {
      error(`${path}.notify`, 'a level needs someone to notify or an action');
    }
    const seen = new Set<string>();
    level.notify.forEach((target, m) => {
      if (seen.has(target)) warn(`${path}.notify[${m}]`, `"${target}" is listed twice`);
      seen.add(target);
      checkGroup(`${path}.notify[${m}]`, target);
    });
  });
}

/** Thresholds name a storable amount and a known currency; the bare-number form is legacy. */
function checkThresholds(stage: StageDefinition, at: string, error: Report) {
  stage.when?.forEach((condition, k) => {
    const path = `${at}.when[${k}].if.valueAtLeast`;
    const threshold = condition.if.valueAtLeast;
    if (typeof threshold === 'number') {
      error(
        path,
        `a threshold must name its currency: write { amount: ${threshold}, currency: CNY } ` +
          '(a bare number would compare amounts in any currency)',
      );
      return;
    }
    const problem = amountProblem(threshold.amount);
    if (problem) error(`${path}.amount`, problem);
    if (!isKnownCurrency(threshold.currency)) {
      error(`${path}.currency`, `"${threshold.currency}" is not an ISO 4217 currency code (CNY, USD, ...)`);
    }
  });
}

/** Each pair names two different roles, and no pair is listed twice (in either order). */
function checkSeparation(definition: ProcessDefinition, error: Report) {
  const seen = new Map<string, number>();
  definition.separationOfDuties?.allowSamePerson.forEach(([a, b], i) => {
    const path = `separationOfDuties.allowSamePerson[${i}]`;
    if (a === b) {
      error(path, `a pair needs two different roles (got ${a} twice)`);
      return;
    }
    const pair = [a, b].sort().join('+');
    const first = seen.get(pair);
    if (first !== undefined) error(path, `${a} and ${b} are already paired at allowSamePerson[${first}]`);
    else seen.set(pair, i);
  });
}

/** Listed currencies are known ISO 4217 codes, each listed once. */
function checkCurrencyList(definition: ProcessDefinition, error: Report) {
  const list = definition.currencies;
  if (!list) return;
  if (list.length === 0) error('currencies', 'list at least one currency, or leave currencies out');
  const seen = new Map<string, number>();
  list.forEach((code, i) => {
    if (!isKnownCurrency(code)) error(`currencies[${i}]`, `"${code}" is not an ISO 4217 currency code`);
    const first = seen.get(code);
    if (first !== undefined) error(`currencies[${i}]`, `${code} is already listed at currencies[${first}]`);
    else seen.set(code, i);
  });
}

function tooLong(text: string): string {
  return `${text} is longer than the limit of ${MAX_DURATION_TEXT}`;
}

function durationMessage(text: string): string {
  return `"${text}" is not a duration (use 30s, 15m, 4h, 3d, 2w or ISO 8601 such as PT4H, P3D)`;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
