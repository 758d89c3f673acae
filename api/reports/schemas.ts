/**
 * Report API schemas (zod): request validation and the OpenAPI document come from these.
 */
import { z } from 'zod';
import { paginationQuery } from '../http/pagination';
import { storableInstant } from '../http/storable';

const ISO_HINT = 'must be an ISO 8601 date-time with an offset (2025-01-31T08:00:00Z) or a date (2025-01-31)';

/** An instant in a query string: `2025-01-31T08:00:00Z`, `2025-01-31T16:00:00+08:00` or `2025-01-31` (UTC). */
const Instant = storableInstant(
  z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: ISO_HINT }),
).transform((s) => new Date(s));

const ProcessKey = z
  .string()
  .regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+')
  .max(200)
  .describe('Only deals of this process key');

export const PipelineQuery = z.object({ processKey: ProcessKey.optional() });

export const PeriodQuery = z.object({
  from: Instant.optional().describe('Start of the period, inclusive (default: `to` minus 30 days)'),
  to: Instant.optional().describe('End of the period, exclusive (default: now)'),
  processKey: ProcessKey.optional(),
});
export type PeriodQueryOut = z.output<typeof PeriodQuery>;

/** The period, the process filter, and `limit`/`cursor` paging over the credit rows. */
export const CreditQuery = PeriodQuery.extend(paginationQuery.shape);

const LocalizedName = z.object({ en: z.string(), zh: z.string() });

const StageRef = {
  processKey: z.string(),
  stageKey: z.string(),
  stageIndex: z.number().int().describe('0-based position of the stage in its process'),
  stageName: LocalizedName,
  gate: z.string().nullable(),
};

export const PipelineReportSchema = z
  .object({
    asOf: z.string().describe('When the report was computed'),
    items: z.array(
      z.object({
        ...StageRef,
        count: z.number().int().describe('Active deals at this stage (all currencies)'),
        values: z
          .array(
            z.object({
              currency: z.string(),
              count: z.number().int(),
              total: z.number().describe('Sum of the deal values'),
              weighted: z
                .number()
                .describe('Σ value × (stage index + 1) / number of stages of the deal’s process version'),
            }),
          )
          .describe('One entry per currency, never summed across currencies'),
      }),
    ),
  })
  .meta({ id: 'PipelineReport' });

export const SlaReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    asOf: z.string(),
    stages: z.array(
      z.object({
        ...StageRef,
        visits: z.number().int().describe('Stage visits exited in the period (any outcome)'),
        medianMs: z
          .number()
          .nullable()
          .describe('Median time spent in the stage (visits exited in the period, cancelled ones excluded)'),
        p90Ms: z.number().nullable().describe('90th percentile of the same durations'),
        breaches: z.number().int().describe('Visits exited in the period that breached their SLA'),
        escalations: z.number().int().describe('stage.escalated events in the period'),
      }),
    ),
    overdue: z.array(
      z.object({
        dealId: z.string(),
        title: z.string(),
        accountName: z.string(),
        value: z.object({ amount: z.number(), currency: z.string() }),
        processKey: z.string(),
        stageKey: z.string().nullable(),
        stageName: LocalizedName.nullable(),
        dueAt: z.string(),
        overdueMs: z.number().int(),
        escalationLevel: z.number().int(),
        waitingOn: z.array(z.object({ role: z.string(), userId: z.string(), name: z.string().nullable() })),
      }),
    ),
    overdueTotal: z.number().int().describe('All overdue deals in scope (the list is capped)'),
  })
  .meta({ id: 'SlaReport' });

export const CreditReportSchema = z
  .object({
    items: z.array(
      z.object({
        userId: z.string(),
        name: z.string(),
        currency: z.string(),
        credit: z.number(),
        deals: z.number().int().describe('Completed deals this user earned credit on'),
      }),
    ),
    nextCursor: z.string().nullable().describe('Cursor for the next page; null on the last page'),
    from: z.string(),
    to: z.string(),
  })
  .meta({ id: 'CreditReport' });

export type PipelineReport = z.output<typeof PipelineReportSchema>;
export type SlaReport = z.output<typeof SlaReportSchema>;
export type CreditReport = z.output<typeof CreditReportSchema>;
