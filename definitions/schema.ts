/**
 * Structural schema of a process definition (zod 4). Semantic checks (durations, references,
 * sums, ordering) live in `./validate.ts`; use `validateProcessDefinition` rather than this
 * schema directly.
 *
 * Not for workflow code: workflows import `./types.ts` only.
 */
import { z } from 'zod';
import { DEFINITION_LIMITS as LIMITS } from '../domain/process/limits';
import type {
  Approver,
  ConditionalApprovers,
  EscalationLevel,
  EscalationTarget,
  LocalizedText,
  ProcessDefinition,
  Rule,
  SeparationOfDuties,
  StageDefinition,
  StageSla,
  TriangleRole,
  ValueThreshold,
} from '../domain/process/types';

export const KEY_PATTERN = /^[a-z0-9-]+$/;
export const GROUP_PREFIX = 'group:';
export const APPROVER_PATTERN = /^(?:AR|SR|FR|manager|group:[a-z0-9-]+)$/;
export const ESCALATION_TARGET_PATTERN = /^(?:AR|SR|FR|manager|manager\+1|group:[a-z0-9-]+)$/;

/** An array of at most `max` items, with a message that names the limit. */
const capped = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z.array(item).max(max, { error: `at most ${max} ${what}` });

const keySchema = z
  .string()
  .max(LIMITS.keyLength, { error: `at most ${LIMITS.keyLength} characters` })
  .regex(KEY_PATTERN, { error: 'must match [a-z0-9-]+ (lowercase letters, digits, -)' });

const nonEmptyText = (max: number) =>
  z
    .string()
    .max(max, { error: `at most ${max} characters` })
    .regex(/\S/, { error: 'must not be empty' });

export const localizedTextSchema: z.ZodType<LocalizedText> = z.strictObject({
  en: nonEmptyText(LIMITS.nameLength),
  zh: nonEmptyText(LIMITS.nameLength),
});

export const triangleRoleSchema = z.enum(['AR', 'SR', 'FR'], { error: 'must be AR, SR or FR' });

export const approverSchema = z.string().regex(APPROVER_PATTERN, {
  error: 'must be AR, SR, FR, manager or group:<name> with name [a-z0-9-]+',
}) as unknown as z.ZodType<Approver>;

export const escalationTargetSchema = z.string().regex(ESCALATION_TARGET_PATTERN, {
  error: 'must be manager, manager+1, AR, SR, FR or group:<name> with name [a-z0-9-]+',
}) as unknown as z.ZodType<EscalationTarget>;

/** Ranges (atLeast >= 1, 0 < weight <= 1) are checked in validate.ts so they get exact messages. */
export const ruleSchema: z.ZodType<Rule> = z.union(
  [
    z.enum(['all', 'any']),
    z.strictObject({ atLeast: z.number().int() }),
    z.strictObject({ weight: z.number() }),
  ],
  { error: 'rule must be all, any, {atLeast: <n>} or {weight: <w>}' },
);

/** Amount and currency are checked in validate.ts (bounds, ISO 4217). */
export const valueThresholdSchema: z.ZodType<ValueThreshold> = z.strictObject({
  amount: z.number(),
  currency: z.string(),
});

/**
 * The bare number is the legacy form, kept so stored versions still parse; validate.ts refuses it
 * in a definition being applied.
 */
export const conditionalApproversSchema: z.ZodType<ConditionalApprovers> = z.strictObject({
  if: z.strictObject({
    valueAtLeast: z.union([valueThresholdSchema, z.number()], {
      error: 'must be { amount: <number>, currency: <ISO 4217 code> }',
    }),
  }),
  add: capped(approverSchema, LIMITS.approvers, 'approvers'),
});

/** Durations are strings here; their syntax and ordering are checked in validate.ts. */
const durationText = z.string();

export const escalationLevelSchema: z.ZodType<EscalationLevel> = z.strictObject({
  after: durationText,
  notify: capped(escalationTargetSchema, LIMITS.notify, 'targets'),
  action: z.enum(['approve', 'reject']).optional(),
});

export const stageSlaSchema: z.ZodType<StageSla> = z.strictObject({
  within: durationText,
  remind: capped(durationText, LIMITS.reminders, 'reminders').optional(),
  escalate: capped(escalationLevelSchema, LIMITS.escalationLevels, 'escalation levels').optional(),
});

const weight = z.number().min(0).max(1);

/** Only triangle roles carry weight; another key is reported as `weights.<KEY>`. */
export const weightsSchema: z.ZodType<Partial<Record<TriangleRole, number>>> = z.strictObject({
  AR: weight.optional(),
  SR: weight.optional(),
  FR: weight.optional(),
});

export const stageSchema: z.ZodType<StageDefinition> = z.strictObject({
  key: keySchema,
  name: localizedTextSchema,
  gate: nonEmptyText(LIMITS.gateLength).optional(),
  approvers: capped(approverSchema, LIMITS.approvers, 'approvers'),
  rule: ruleSchema,
  when: capped(conditionalApproversSchema, LIMITS.when, 'conditions').optional(),
  sla: stageSlaSchema,
  weights: weightsSchema,
  onReject: keySchema.optional(),
});

/** Pairs of triangle roles one person may hold together; pairs are checked in validate.ts. */
export const separationOfDutiesSchema: z.ZodType<SeparationOfDuties> = z.strictObject({
  allowSamePerson: capped(z.tuple([triangleRoleSchema, triangleRoleSchema]), 3, 'pairs'),
});

export const processDefinitionSchema: z.ZodType<ProcessDefinition> = z.strictObject({
  key: keySchema,
  name: localizedTextSchema,
  currencies: capped(z.string(), LIMITS.currencies, 'currencies').optional(),
  separationOfDuties: separationOfDutiesSchema.optional(),
  stages: capped(stageSchema, LIMITS.stages, 'stages'),
});
