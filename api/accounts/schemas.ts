/**
 * Account and contact API schemas (zod): request validation and the OpenAPI document come from these.
 */
import { z } from 'zod';
import {
  ACCOUNT_TIERS,
  BUYING_ROLES,
  INTERACTION_KINDS,
  MAX_INFLUENCE,
  MIN_INFLUENCE,
  STANCES,
} from '../../domain/account';
import { DEAL_STATUSES } from '../../domain/deal/types';
import { UserId } from '../deals/schemas';
import { paginationQuery } from '../http/pagination';
import { storableInstant, storableText } from '../http/storable';

const Name = storableText().trim().min(1).max(200);
const ShortText = storableText().trim().max(200);
const Notes = storableText().trim().max(4000);

export const AccountTierSchema = z.enum(ACCOUNT_TIERS);
export const AccountIdParams = z.object({ id: z.string() });
export const ContactIdParams = z.object({ id: z.string() });

const TeamMember = UserId.nullable();
export const TeamBody = z
  .object({ AR: TeamMember.optional(), SR: TeamMember.optional(), FR: TeamMember.optional() })
  .strict()
  .describe('The account team: AR, SR and FR, three different people; null clears a role');

export const CreateAccountBody = z
  .object({
    name: Name,
    tier: AccountTierSchema.default('general'),
    industry: ShortText.optional(),
    region: ShortText.optional(),
    notes: Notes.optional(),
    team: TeamBody.optional(),
  })
  .strict();

export const UpdateAccountBody = z
  .object({
    name: Name.optional(),
    tier: AccountTierSchema.optional(),
    industry: ShortText.nullable().optional(),
    region: ShortText.nullable().optional(),
    notes: Notes.nullable().optional(),
    team: TeamBody.optional(),
    reason: storableText()
      .trim()
      .min(1)
      .max(2000)
      .optional()
      .describe('Why the team changes (kept in its history)'),
  })
  .strict();

export const ListAccountsQuery = paginationQuery.extend({
  tier: AccountTierSchema.optional(),
  owner: storableText().max(200).optional().describe('A user holding a role on the account team'),
  text: storableText().trim().min(1).max(200).optional().describe('Part of the name, industry or region'),
});

const Team = z.object({ AR: z.string().nullable(), SR: z.string().nullable(), FR: z.string().nullable() });

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tier: AccountTierSchema,
    industry: z.string().nullable(),
    region: z.string().nullable(),
    notes: z.string().nullable(),
    team: Team,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Account' });
export type AccountDto = z.output<typeof AccountSchema>;

export const CreateContactBody = z
  .object({
    name: Name,
    title: ShortText.optional(),
    department: ShortText.optional(),
    buyingRole: z.enum(BUYING_ROLES),
    stance: z.enum(STANCES).default('unknown'),
    influence: z.number().int().min(MIN_INFLUENCE).max(MAX_INFLUENCE).default(3),
    ownerId: UserId.optional().describe('Who in our company owns the relationship'),
  })
  .strict();

export const UpdateContactBody = z
  .object({
    name: Name.optional(),
    title: ShortText.nullable().optional(),
    department: ShortText.nullable().optional(),
    buyingRole: z.enum(BUYING_ROLES).optional(),
    stance: z.enum(STANCES).optional(),
    influence: z.number().int().min(MIN_INFLUENCE).max(MAX_INFLUENCE).optional(),
    ownerId: UserId.nullable().optional(),
  })
  .strict();

export const ContactSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    title: z.string().nullable(),
    department: z.string().nullable(),
    buyingRole: z.enum(BUYING_ROLES),
    stance: z.enum(STANCES),
    influence: z.number().int(),
    ownerId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Contact' });
export type ContactDto = z.output<typeof ContactSchema>;

export const InteractionBody = z
  .object({
    at: storableInstant(z.iso.datetime({ offset: true })),
    kind: z.enum(INTERACTION_KINDS),
    summary: storableText().trim().min(1).max(4000),
  })
  .strict();

export const InteractionSchema = z.object({
  id: z.number().int(),
  contactId: z.string(),
  at: z.string(),
  kind: z.enum(INTERACTION_KINDS),
  summary: z.string(),
  actorId: z.string(),
  createdAt: z.string(),
});

const DealSummary = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(DEAL_STATUSES as [string, ...string[]]),
  stage: z.string().nullable(),
  value: z.object({ amount: z.number(), currency: z.string() }),
  triangle: z.object({ AR: z.string(), SR: z.string(), FR: z.string() }),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
});

const Holding = z.object({
  role: z.enum(['AR', 'SR', 'FR']),
  userId: z.string(),
  since: z.string(),
  until: z.string().nullable(),
  reason: z.string().nullable(),
});

const ChainContact = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string().nullable(),
  buyingRole: z.enum(BUYING_ROLES),
  stance: z.enum(STANCES),
  influence: z.number().int(),
  ownerId: z.string().nullable(),
});

export const AccountDetailSchema = AccountSchema.extend({
  deals: z
    .object({
      open: z.array(DealSummary),
      closed: z.array(DealSummary),
      totals: z
        .array(
          z.object({ status: z.string(), currency: z.string(), count: z.number().int(), total: z.number() }),
        )
        .describe('Count and total value of the deals by status and currency'),
    })
    .describe('The deals on this account the caller may see (the newest 200 open and 200 closed)'),
  roleHistory: z.object({
    account: z.array(Holding).describe('Who held each account-team role, and when'),
    deals: z
      .array(Holding.extend({ dealId: z.string() }))
      .describe('Who held each role on its deals, and when'),
  }),
  contacts: z.array(ContactSchema),
  decisionChain: z.array(z.object({ role: z.enum(BUYING_ROLES), contacts: z.array(ChainContact) })),
}).meta({ id: 'AccountDetail' });
export type AccountDetailDto = z.output<typeof AccountDetailSchema>;
