/**
 * Structural schema of a process definition (zod 4). Semantic checks (durations, references,
 * sums, ordering) live in `./validate.ts`; use `validateProcessDefinition` rather than this
 * schema directly.
 *
 * Not for workflow code: workflows import `./types.ts` only.
 */
import { z } from 'zod';
import type {
  Approver,
  ConditionalApprovers,
  EscalationLevel,
  EscalationTarget,
  LocalizedText,
  ProcessDefinition,
  Rule,
  StageDefinition,
  StageSla,
  TriangleRole,
} from './types';

export const KEY_PATTERN = /^[a-z0-9-]+$/;
export const GROUP_PREFIX = 'group:';
export const APPROVER_PATTERN = /^(?:AR|SR|FR|manager|group:[a-z0-9-]+)$/;
export const ESCALATION_TARGET_PATTERN = /^(?:AR|SR|FR|manager|manager\+1|group:[a-z0-9-]+)$/;

const keySchema = z
  .string()
  .regex(KEY_PATTERN, { error: 'must match [a-z0-9-]+ (lowercase letters, digits, -)' });

const nonEmptyText = z.string().regex(/\S/, { error: 'must not be empty' });

export const localizedTextSchema: z.ZodType<LocalizedText> = z.strictObject({
  en: nonEmptyText,
  zh: nonEmptyText,
});

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

export const conditionalApproversSchema: z.ZodType<ConditionalApprovers> = z.strictObject({
  if: z.strictObject({ valueAtLeast: z.number().nonnegative() }),
  add: z.array(approverSchema),
});

/** Durations are strings here; their syntax and ordering are checked in validate.ts. */
const durationText = z.string();

export const escalationLevelSchema: z.ZodType<EscalationLevel> = z.strictObject({
  after: durationText,
  notify: z.array(escalationTargetSchema),
  action: z.enum(['approve', 'reject']).optional(),
});

export const stageSlaSchema: z.ZodType<StageSla> = z.strictObject({
  within: durationText,
  remind: z.array(durationText).optional(),
  escalate: z.array(escalationLevelSchema).optional(),
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
  gate: nonEmptyText.optional(),
  approvers: z.array(approverSchema),
  rule: ruleSchema,
  when: z.array(conditionalApproversSchema).optional(),
  sla: stageSlaSchema,
  weights: weightsSchema,
  onReject: keySchema.optional(),
});

const triangleRole = z.enum(['AR', 'SR', 'FR']);

export const processDefinitionSchema: z.ZodType<ProcessDefinition> = z.strictObject({
  key: keySchema,
  name: localizedTextSchema,
  stages: z.array(stageSchema),
  separationOfDuties: z
    .strictObject({ allowSamePerson: z.array(z.array(triangleRole).length(2)).optional() })
    .optional(),
});
