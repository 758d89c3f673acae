/**
 * Notification API schemas (zod): request validation and the OpenAPI document come from these.
 */
import { z } from 'zod';
import { NOTIFICATION_KINDS, PREFERENCE_CHANNELS } from '../../domain/notifications/delivery';
import { WEBHOOK_FORMATS } from '../../notifications/webhook-formats';
import { paginationQuery } from '../http/pagination';
import { storableText } from '../http/storable';

export const NotificationKindSchema = z.enum(NOTIFICATION_KINDS);

export const NotificationItemSchema = z
  .object({
    id: z.string().describe('Stable id; the same id is on the email (Message-ID) and webhook (X-LTC-Id)'),
    kind: NotificationKindSchema,
    dealId: z.string(),
    stage: z.string().nullable(),
    text: z.string().describe("Rendered in the recipient's locale"),
    createdAt: z.string(),
    readAt: z.string().nullable().describe('null until read'),
  })
  .meta({ id: 'NotificationItem' });

export const InboxQuery = paginationQuery.extend({
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: unread only'),
});

export const NotificationIdParams = z.object({ id: z.string().min(1).max(100) });

const Channels = z
  .array(z.enum(PREFERENCE_CHANNELS))
  .max(PREFERENCE_CHANNELS.length)
  .refine((a) => new Set(a).size === a.length, 'channels must not repeat');

const PreferencesShape = Object.fromEntries(
  NOTIFICATION_KINDS.map((k) => [k, Channels.optional()]),
) as Record<(typeof NOTIFICATION_KINDS)[number], z.ZodOptional<typeof Channels>>;

/** Kinds left out keep every channel; `[]` turns a kind off everywhere. */
export const PreferencesMap = z.strictObject(PreferencesShape).meta({ id: 'NotificationPreferencesInput' });

export const PutPreferencesBody = z.union([PreferencesMap, z.strictObject({ preferences: PreferencesMap })]);

export const PreferencesSchema = z
  .object(
    Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, z.array(z.enum(PREFERENCE_CHANNELS))])) as Record<
      (typeof NOTIFICATION_KINDS)[number],
      z.ZodArray<z.ZodEnum<{ inbox: 'inbox'; email: 'email'; webhook: 'webhook' }>>
    >,
  )
  .meta({ id: 'NotificationPreferences', description: 'Channels per notification kind (effective)' });

const HttpUrl = storableText()
  .trim()
  .max(2000)
  .refine((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'http:' || p === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL')
  .describe(
    'Must reach a public address (checked here and on every delivery), unless its host is in WEBHOOK_ALLOW_HOSTS',
  );

export const CreateWebhookBody = z
  .strictObject({
    url: HttpUrl,
    format: z.enum(WEBHOOK_FORMATS),
    secret: storableText()
      .min(1)
      .max(500)
      .optional()
      .describe('generic: HMAC key (required); dingtalk/feishu: the bot signing secret'),
    events: z
      .array(NotificationKindSchema)
      .min(1)
      .max(NOTIFICATION_KINDS.length * 2)
      .optional()
      .describe('Notification kinds; omitted = all kinds'),
    userId: storableText().trim().min(1).max(100).optional().describe("A user's own webhook"),
    teamManagerId: storableText()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .describe("Team webhook of this manager's reporting line; omit both ids for a team-wide webhook"),
  })
  .superRefine((b, ctx) => {
    if (b.format === 'generic' && !b.secret) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a generic webhook needs a secret' });
    }
    if (b.userId && b.teamManagerId) {
      ctx.addIssue({
        code: 'custom',
        path: ['teamManagerId'],
        message: 'a webhook is either a user’s own or a team’s',
      });
    }
  });

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z
      .string()
      .describe(
        'Credentials in the URL (WeCom key, DingTalk access_token, Feishu and Slack hook tokens) are masked',
      ),
    format: z.enum(WEBHOOK_FORMATS),
    hasSecret: z.boolean(),
    events: z.array(NotificationKindSchema).nullable().describe('null = all kinds'),
    userId: z.string().nullable(),
    teamManagerId: z.string().nullable(),
    scope: z.enum(['user', 'team', 'all']),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Webhook' });

export const WebhookIdParams = z.object({ id: z.string().min(1).max(100) });

export const FailedDeliverySchema = z
  .object({
    notificationId: z.string(),
    channel: z.string().describe('`email` or `webhook:<id>`'),
    kind: NotificationKindSchema,
    dealId: z.string(),
    stage: z.string().nullable(),
    userId: z.string(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    failedAt: z.string(),
  })
  .meta({ id: 'FailedDelivery' });

export const ResendBody = z
  .strictObject({
    channel: storableText()
      .min(1)
      .max(200)
      .optional()
      .describe('Only this channel; default: every failed one'),
  })
  .optional();

export const ResendResultSchema = z.object({
  notificationId: z.string(),
  channels: z.array(z.string()),
  workflowIds: z.array(z.string()),
});
