/**
 * Readable structural diff between two process definitions: stages are matched by key; inside
 * a stage, objects are compared field by field (`sla.within`, `weights.AR`, `name.zh`) while
 * arrays and the rule are compared as whole values.
 */
import { canonicalJson } from './canonical';
import type { LocalizedText, ProcessDefinition, StageDefinition } from './types';

export interface FieldChange {
  /** Dotted path within the stage: `rule`, `approvers`, `sla.remind`, `weights.AR`, `name.zh`. */
  field: string;
  /** `undefined` when the field is absent on that side. */
  from: unknown;
  to: unknown;
}

export interface DefinitionDiff {
  /** Only when the definitions' keys differ (normally they are versions of the same key). */
  key?: { from: string; to: string };
  name?: { from: LocalizedText; to: LocalizedText };
  /** Stages only in `to`, with their index there. */
  stagesAdded: { key: string; index: number }[];
  /** Stages only in `from`, with their index there. */
  stagesRemoved: { key: string; index: number }[];
  /** Stages in both whose content differs, in `to` order. */
  stagesChanged: { key: string; changes: FieldChange[] }[];
  /** Whether the stages present in both appear in a different relative order. */
  orderChanged: boolean;
}

/** Compared as whole values even though they may be objects. */
const WHOLE_FIELDS = new Set(['rule']);

/** Fields listed in this order first (the order of the YAML format), others after, sorted. */
const FIELD_ORDER = ['key', 'name', 'gate', 'approvers', 'rule', 'when', 'sla', 'weights', 'onReject'];
const NESTED_ORDER = ['en', 'zh', 'within', 'remind', 'escalate', 'AR', 'SR', 'FR'];

export function diffDefinitions(from: ProcessDefinition, to: ProcessDefinition): DefinitionDiff {
  const diff: DefinitionDiff = { stagesAdded: [], stagesRemoved: [], stagesChanged: [], orderChanged: false };
  if (from.key !== to.key) diff.key = { from: from.key, to: to.key };
  if (!jsonEqual(from.name, to.name)) diff.name = { from: from.name, to: to.name };

  const fromByKey = new Map(from.stages.map((stage, index) => [stage.key, { stage, index }]));
  const toByKey = new Map(to.stages.map((stage, index) => [stage.key, { stage, index }]));

  from.stages.forEach((stage, index) => {
    if (!toByKey.has(stage.key)) diff.stagesRemoved.push({ key: stage.key, index });
  });
  to.stages.forEach((stage, index) => {
    const before = fromByKey.get(stage.key);
    if (!before) {
      diff.stagesAdded.push({ key: stage.key, index });
      return;
    }
    const changes = diffStage(before.stage, stage);
    if (changes.length > 0) diff.stagesChanged.push({ key: stage.key, changes });
  });

  const commonFrom = from.stages.map((s) => s.key).filter((key) => toByKey.has(key));
  const commonTo = to.stages.map((s) => s.key).filter((key) => fromByKey.has(key));
  diff.orderChanged = commonFrom.some((key, i) => key !== commonTo[i]);
  return diff;
}

export function isEmptyDiff(diff: DefinitionDiff): boolean {
  return (
    !diff.key &&
    !diff.name &&
    diff.stagesAdded.length === 0 &&
    diff.stagesRemoved.length === 0 &&
    diff.stagesChanged.length === 0 &&
    !diff.orderChanged
  );
}

function diffStage(from: StageDefinition, to: StageDefinition): FieldChange[] {
  const changes: FieldChange[] = [];
  compare(from as unknown as Record<string, unknown>, to as unknown as Record<string, unknown>, '', changes);
  return changes;
}

function compare(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  prefix: string,
  changes: FieldChange[],
): void {
  for (const key of orderedKeys(from, to, prefix === '' ? FIELD_ORDER : NESTED_ORDER)) {
    const field = prefix + key;
    const a = from[key];
    const b = to[key];
    if (!WHOLE_FIELDS.has(field) && isPlainObject(a) && isPlainObject(b)) {
      compare(a, b, `${field}.`, changes);
    } else if (!jsonEqual(a, b)) {
      changes.push({ field, from: a, to: b });
    }
  }
}

function orderedKeys(a: Record<string, unknown>, b: Record<string, unknown>, preferred: string[]): string[] {
  const present = new Set([...Object.keys(a), ...Object.keys(b)]);
  const first = preferred.filter((key) => present.has(key));
  const rest = [...present].filter((key) => !preferred.includes(key)).sort();
  return [...first, ...rest];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

/** Human-readable lines for a diff (the CLI prints them); `[]` when nothing changed. */
export function formatDefinitionDiff(diff: DefinitionDiff): string[] {
  const lines: string[] = [];
  if (diff.key) lines.push(`key: ${diff.key.from} -> ${diff.key.to}`);
  if (diff.name) lines.push(`name: ${show(diff.name.from)} -> ${show(diff.name.to)}`);
  for (const { key, index } of diff.stagesAdded) lines.push(`+ stage ${key} (at position ${index + 1})`);
  for (const { key, index } of diff.stagesRemoved)
    lines.push(`- stage ${key} (was at position ${index + 1})`);
  if (diff.orderChanged) lines.push('~ stage order changed');
  for (const { key, changes } of diff.stagesChanged) {
    lines.push(`~ stage ${key}`);
    for (const change of changes)
      lines.push(`    ${change.field}: ${show(change.from)} -> ${show(change.to)}`);
  }
  return lines;
}
