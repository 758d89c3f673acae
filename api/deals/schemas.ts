/**
 * Deal API schemas (zod): request validation and the OpenAPI document come from these.
 */
import { z } from 'zod';
import { DEAL_EVENT_TYPES } from '../../domain/deal/records';
import { DEAL_STATUSES } from '../../domain/deal/types';
import type { Approver } from '../../domain/process/types';
import { paginationQuery } from '../http/pagination';
import type { CommandBody, SignoffBodyArgs } from './service';

const CURRENCIES = new Set(
  (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('currency'),
);

export const UserId = z.string().trim().min(1).max(100);
export const TriangleRoleSchema = z.enum(['AR', 'SR', 'FR']);
export const ApproverSchema = z
  .string()
  .regex(
    /^(AR|SR|FR|manager|group:[a-z0-9-]+)$/,
    'must be AR, SR, FR, manager or group:<name>',
  ) as unknown as z.ZodType<Approver>;

export const MoneySchema = z.object({
  amount: z.number().finite().nonnegative('must not be negative'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY or USD')
    .refine((c) => CURRENCIES.has(c), 'unknown currency'),
});

/** Deal ids are opaque: any string is accepted here and an unknown or malformed one answers 404. */
export const DealIdParams = z.object({ id: z.string() });

export const CreateDealBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    account: z
      .object({ name: z.string().trim().min(1).max(200), tier: z.string().trim().max(50).optional() })
      .strict(),
    value: MoneySchema,
    triangle: z.object({ AR: UserId, SR: UserId, FR: UserId }).strict(),
    process: z
      .object({ key: z.string().regex(/^[a-z0-9-]+$/), version: z.number().int().positive().optional() })
      .strict()
      .optional(),
  })
  .strict();

// Each body `satisfies` the arguments of the workflow Update it becomes (without the verified actor),
// so renaming a field on either side fails to compile.
export const SignoffBody = z
  .object({
    stage: z.string().min(1).max(100),
    role: ApproverSchema.optional(),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().trim().max(4000).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.decision === 'reject' && !b.comment) {
      ctx.addIssue({
        code: 'custom',
        path: ['comment'],
        message: 'a rejection needs a comment giving the reason',
      });
    }
  }) satisfies z.ZodType<SignoffBodyArgs>;

const Reason = z.string().trim().min(1, 'a reason is required').max(2000);
export const ReassignBody = z
  .object({ role: TriangleRoleSchema, userId: UserId, reason: Reason })
  .strict() satisfies z.ZodType<CommandBody['reassign']>;
export const HoldBody = z.object({ reason: Reason }).strict() satisfies z.ZodType<CommandBody['hold']>;
export const CancelBody = z.object({ reason: Reason }).strict() satisfies z.ZodType<CommandBody['cancel']>;
export const ResumeBody = z.object({}).strict().optional() satisfies z.ZodType<
  CommandBody['resume'] | undefined
>;
export const AmendBody = z.object({ value: MoneySchema }).strict() satisfies z.ZodType<CommandBody['amend']>;

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const ListDealsQuery = paginationQuery.extend({
  stage: z.string().optional(),
  status: z.enum(DEAL_STATUSES as [string, ...string[]]).optional(),
  userId: z.string().optional(),
  overdue: booleanQuery.optional(),
  q: z.string().trim().min(1).max(200).optional(),
});

const LocalizedName = z.object({ en: z.string(), zh: z.string() });

export const DealSchema = z.object({
  id: z.string(),
  title: z.string(),
  account: z.object({ name: z.string(), tier: z.string().nullable() }),
  value: z.object({ amount: z.number(), currency: z.string() }),
  status: z.enum(DEAL_STATUSES as [string, ...string[]]),
  triangle: z.object({ AR: z.string(), SR: z.string(), FR: z.string() }),
  process: z.object({ key: z.string(), version: z.number() }),
  stage: z
    .object({
      key: z.string(),
      name: LocalizedName,
      gate: z.string().nullable(),
      visit: z.number(),
      enteredAt: z.string().nullable(),
      dueAt: z.string().nullable(),
      escalationLevel: z.number(),
      required: z.array(z.object({ role: z.string(), userIds: z.array(z.string()) })),
      signoffs: z.array(
        z.object({
          role: z.string(),
          userId: z.string(),
          actorId: z.string(),
          decision: z.enum(['approve', 'reject']),
          comment: z.string().nullable(),
          at: z.string(),
        }),
      ),
      waitingOn: z.array(z.object({ role: z.string(), userId: z.string() })),
    })
    .nullable(),
  temporalUiUrl: z.string().nullable(),
  fault: z
    .object({ since: z.string(), error: z.string() })
    .nullable()
    .describe(
      'Set while Postgres refuses or misses this deal’s writes: the deal carries on, its writes are kept and retried',
    ),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DealDto = z.infer<typeof DealSchema>;

export const DealEventSchema = z.object({
  seq: z.number(),
  type: z.enum(DEAL_EVENT_TYPES),
  at: z.string(),
  stage: z.string().nullable(),
  actorId: z.string(),
  onBehalfOfId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const TaskSchema = z.object({
  dealId: z.string(),
  title: z.string(),
  stage: z.string(),
  stageName: LocalizedName,
  role: z.string(),
  onBehalfOfId: z.string().nullable(),
  dueAt: z.string().nullable(),
  overdue: z.boolean(),
});
