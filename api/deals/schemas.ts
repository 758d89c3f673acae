/**
 * Deal API schemas (zod): request validation and the OpenAPI document come from these.
 */
import { z } from 'zod';
import { DEAL_EVENT_TYPES } from '../../domain/deal/records';
import { DEAL_STATUSES } from '../../domain/deal/types';
import {
  CURRENCY_PATTERN,
  hasAtMostTwoDecimals,
  isKnownCurrency,
  MAX_AMOUNT,
  MAX_AMOUNT_TEXT,
} from '../../domain/money';
import type { Approver } from '../../domain/process/types';
import { paginationQuery } from '../http/pagination';
import { storableText } from '../http/storable';
import type { CommandBody, SignoffBodyArgs } from './service';

export const UserId = storableText().trim().min(1).max(100);
export const TriangleRoleSchema = z.enum(['AR', 'SR', 'FR']);
export const ApproverSchema = z.union(
  [z.enum(['AR', 'SR', 'FR', 'manager']), z.templateLiteral(['group:', z.string().regex(/^[a-z0-9-]+$/)])],
  { error: 'must be AR, SR, FR, manager or group:<name>' },
) satisfies z.ZodType<Approver>;

export const MoneySchema = z.object({
  amount: z
    .number()
    .min(0, 'must not be negative')
    .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT_TEXT}`)
    .refine(hasAtMostTwoDecimals, 'must have at most two decimals')
    .describe(`0 to ${MAX_AMOUNT_TEXT}, at most two decimals`),
  currency: z
    .string()
    .regex(CURRENCY_PATTERN, 'must be an ISO 4217 code such as CNY or USD')
    .refine(isKnownCurrency, 'unknown currency'),
});

/** Deal ids are opaque: any string is accepted here and an unknown or malformed one answers 404. */
export const DealIdParams = z.object({ id: z.string() });

export const CreateDealBody = z
  .object({
    title: storableText().trim().min(1).max(200),
    account: z
      .object({
        id: z.string().max(100).optional().describe('An existing account'),
        name: storableText().trim().min(1).max(200).optional().describe('Found, or created'),
        tier: storableText().trim().max(50).optional(),
      })
      .strict()
      .superRefine((a, ctx) => {
        if ((a.id === undefined) === (a.name === undefined)) {
          ctx.addIssue({ code: 'custom', path: ['id'], message: 'name the account by id, or by name' });
        }
      })
      .describe(
        '`{id}` of an existing account, or `{name, tier?}`: the account of that name, created when missing',
      ),
    value: MoneySchema,
    expectedCloseDate: z.iso.date().optional().describe('YYYY-MM-DD (a stage may require it)'),
    triangle: z.object({ AR: UserId, SR: UserId, FR: UserId }).strict(),
    process: z
      .object({
        key: z
          .string()
          .max(200)
          .regex(/^[a-z0-9-]+$/),
        version: z.number().int().positive().max(2_147_483_647).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

// Each body `satisfies` the arguments of the workflow Update it becomes (without the verified actor),
// so renaming a field on either side fails to compile.
export const SignoffBody = z
  .object({
    stage: storableText().min(1).max(200),
    role: ApproverSchema.optional(),
    decision: z.enum(['approve', 'reject']),
    comment: storableText().trim().max(4000).optional(),
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

const Reason = storableText().trim().min(1, 'a reason is required').max(2000);
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
  stage: storableText().max(200).optional(),
  status: z.enum(DEAL_STATUSES as [string, ...string[]]).optional(),
  userId: storableText().max(200).optional(),
  overdue: booleanQuery.optional(),
  q: storableText().trim().min(1).max(200).optional(),
});

const LocalizedName = z.object({ en: z.string(), zh: z.string() });

export const DealSchema = z.object({
  id: z.string(),
  title: z.string(),
  account: z.object({ id: z.string().nullable(), name: z.string(), tier: z.string().nullable() }),
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
      requirements: z
        .array(
          z.object({
            requirement: z
              .record(z.string(), z.unknown())
              .describe('As the process stage lists it under `requires`'),
            label: z.string(),
            met: z.boolean(),
          }),
        )
        .describe(
          'Evidence the stage needs besides its sign-offs, each met or missing; empty when it needs none',
        ),
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
