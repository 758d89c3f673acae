/**
 * User API schemas (zod): request validation and the OpenAPI document come from these.
 */
import { z } from 'zod';
import { USER_ROLES } from '../auth/principal';
import { paginationQuery } from '../http/pagination';
import { storableInstant, storableText } from '../http/storable';

/** Ids that would collide with literal path segments under `/users/…`. */
export const RESERVED_USER_IDS = new Set(['me']);

export const UserIdSchema = storableText()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, `.`, `_` and `-`, starting with a letter or digit')
  .refine((id) => !RESERVED_USER_IDS.has(id), 'this id is reserved');

export const UserRoleSchema = z.enum(USER_ROLES);
export const LocaleSchema = z.enum(['zh', 'en']);
export const GroupSchema = z
  .string()
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and `-` (e.g. sdt)');

export const CreateUserBody = z
  .object({
    id: UserIdSchema.optional().describe('Defaults to a generated id'),
    name: storableText().trim().min(1).max(200),
    email: storableText(z.email().max(320)).transform((e) => e.toLowerCase()),
    roles: z
      .array(UserRoleSchema)
      .min(1, 'at least one role')
      .max(USER_ROLES.length * 2)
      .transform((r) => [...new Set(r)]),
    managerId: storableText().trim().min(1).max(100).nullable().optional(),
    groups: z
      .array(GroupSchema)
      .max(50)
      .transform((g) => [...new Set(g)])
      .optional(),
    locale: LocaleSchema.optional(),
  })
  .strict();

export const UserSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  roles: z.array(UserRoleSchema),
  managerId: z.string().nullable(),
  groups: z.array(z.string()),
  locale: LocaleSchema,
  createdAt: z.string(),
  active: z.boolean().describe('false: deactivated by an admin; every token of the user answers 401'),
  deactivatedAt: z.string().nullable(),
});
export type UserDto = z.infer<typeof UserSchema>;

export const CreatedUserSchema = UserSchema.extend({
  token: z.string().describe('The new API token: shown once, only its hash is stored'),
  tokenId: z.string(),
});

export const ListUsersQuery = paginationQuery;

/** Path ids: one that Postgres cannot hold names nothing and answers 404 (see http/validate.ts). */
export const UserParams = z.object({ id: z.string().min(1).max(100) });
export const TokenParams = z.object({ id: z.string().min(1).max(100), tokenId: z.string().min(1).max(100) });

export const UpdateUserBody = z
  .object({
    active: z
      .boolean()
      .describe('false deactivates the user (all their tokens answer 401); true reactivates'),
  })
  .strict();

export const CreateTokenBody = z
  .object({
    label: storableText().trim().min(1).max(200).optional(),
    expiresAt: storableInstant(z.iso.datetime({ offset: true }))
      // A malformed date-time is reported by the format check alone.
      .refine((t) => !(Date.parse(t) <= Date.now()), 'must be in the future')
      .optional()
      .describe('ISO 8601 date-time after which the token answers 401; default: it does not expire'),
  })
  .strict()
  .optional();

export const CreatedTokenSchema = z.object({
  id: z.string(),
  token: z.string().describe('Shown once, only its hash is stored'),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
});

export const TokenInfoSchema = z.object({
  id: z.string(),
  label: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export type TokenInfoDto = z.infer<typeof TokenInfoSchema>;

export const ListTokensQuery = paginationQuery;

const IsoDateTime = storableInstant(z.iso.datetime({ offset: true }));

export const DelegationBody = z
  .object({
    delegateId: storableText().trim().min(1).max(100),
    from: IsoDateTime,
    until: IsoDateTime,
  })
  .strict()
  .superRefine((b, ctx) => {
    const valid = IsoDateTime.safeParse(b.from).success && IsoDateTime.safeParse(b.until).success;
    if (valid && Date.parse(b.until) <= Date.parse(b.from)) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after `from`' });
    }
  });

export const DelegationSchema = z.object({
  userId: z.string(),
  delegateId: z.string(),
  from: z.string(),
  until: z.string(),
  active: z.boolean().describe('Whether the delegation is in force right now'),
  updatedAt: z.string(),
});
export type DelegationDto = z.infer<typeof DelegationSchema>;
