/**
 * Notification reads and writes for the API: inbox, preferences, webhooks, failed deliveries and
 * resends. Delivery itself runs in the `deliverNotification` workflow (see activities/notifications.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { notificationPreferences, notifications, users, webhooks } from '../../db/schema';
import {
  DELIVER_NOTIFICATION_WORKFLOW_TYPE,
  type DeliverNotificationArgs,
  type DeliveryChannel,
  deliveryTaskQueue,
  effectivePreferences,
  NOTIFICATION_KINDS,
  type NotificationPreferences,
  resendWorkflowId,
} from '../../domain/notifications/delivery';
import type { NotificationKind } from '../../domain/notifications/types';
import type { WebhookFormat } from '../../notifications/webhook-formats';
import {
  checkWebhookTarget,
  STRICT_WEBHOOK_POLICY,
  type WebhookTargetPolicy,
} from '../../notifications/webhook-target';
import { maskWebhookUrl } from '../../notifications/webhook-url-mask';
import { cursorFields, decodeCursor, type Page, page } from '../http/pagination';
import { badRequest, conflict, notFound } from '../http/problem';

export interface NotificationItem {
  id: string;
  kind: NotificationKind;
  dealId: string;
  stage: string | null;
  text: string;
  createdAt: string;
  readAt: string | null;
}

export interface WebhookDto {
  id: string;
  url: string;
  format: WebhookFormat;
  hasSecret: boolean;
  events: NotificationKind[] | null;
  userId: string | null;
  teamManagerId: string | null;
  scope: 'user' | 'team' | 'all';
  createdBy: string;
  createdAt: string;
}

export interface FailedDelivery {
  notificationId: string;
  channel: string;
  kind: NotificationKind;
  dealId: string;
  stage: string | null;
  userId: string;
  attempts: number;
  lastError: string | null;
  failedAt: string;
}

/** Microsecond-precise timestamps for keyset cursors (a JS Date would drop the microseconds). */
const US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

const InboxCursor = z.strictObject({
  u: z.union([z.literal(0), z.literal(1)]),
  t: cursorFields.microTimestamp,
  i: cursorFields.text,
});
const WebhookCursor = z.strictObject({ t: cursorFields.microTimestamp, i: cursorFields.text });
const FailedCursor = z.strictObject({
  t: cursorFields.microTimestamp,
  i: cursorFields.text,
  c: cursorFields.text,
});

const iso = (d: Date | string | null): string | null =>
  d === null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();

export function createNotificationService(deps: {
  db: Db;
  temporal: Client;
  taskQueue: string;
  webhookPolicy?: WebhookTargetPolicy;
}) {
  const { db } = deps;
  const webhookPolicy = deps.webhookPolicy ?? STRICT_WEBHOOK_POLICY;

  async function preferencesOf(userId: string): Promise<NotificationPreferences> {
    const rows = await db
      .select({ preferences: notificationPreferences.preferences })
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, userId));
    return effectivePreferences(rows[0]?.preferences);
  }

  function toItem(r: {
    id: string;
    kind: string;
    deal_id: string;
    stage: string | null;
    text: string;
    created_at: Date | string;
    read_at: Date | string | null;
  }): NotificationItem {
    return {
      id: r.id,
      kind: r.kind as NotificationKind,
      dealId: r.deal_id,
      stage: r.stage,
      text: r.text,
      createdAt: iso(r.created_at)!,
      readAt: iso(r.read_at),
    };
  }

  return {
    preferencesOf,

    /**
     * The caller's inbox: unread first, then newest first. Kinds the user's preferences keep out of
     * the inbox are hidden (the outbox rows stay, for email/webhook delivery and audit).
     */
    async inbox(
      userId: string,
      q: { limit: number; cursor?: string; unread?: boolean },
    ): Promise<Page<NotificationItem>> {
      const prefs = await preferencesOf(userId);
      const hidden = NOTIFICATION_KINDS.filter((k) => !prefs[k].includes('inbox'));
      const cursor = decodeCursor(q.cursor, InboxCursor);
      const rows = await db.execute<{
        id: string;
        kind: string;
        deal_id: string;
        stage: string | null;
        text: string;
        created_at: Date;
        read_at: Date | null;
        u: number;
        t: string;
      }>(sql`
        SELECT id, kind, deal_id, stage, text, created_at, read_at,
          CASE WHEN read_at IS NULL THEN 1 ELSE 0 END AS u,
          to_char(created_at AT TIME ZONE 'UTC', ${sql.raw(US)}) AS t
        FROM notifications
        WHERE user_id = ${userId}
          AND kind NOT IN (SELECT jsonb_array_elements_text(${JSON.stringify(hidden)}::jsonb))
          ${q.unread ? sql`AND read_at IS NULL` : sql``}
          ${
            cursor
              ? sql`AND (CASE WHEN read_at IS NULL THEN 1 ELSE 0 END, created_at, id)
                  < (${cursor.u}::int, ${cursor.t}::timestamptz, ${cursor.i}::text)`
              : sql``
          }
        ORDER BY u DESC, created_at DESC, id DESC
        LIMIT ${q.limit + 1}`);
      const p = page([...rows], q.limit, (last) => ({ u: last.u === 1 ? 1 : 0, t: last.t, i: last.id }));
      return { items: p.items.map(toItem), nextCursor: p.nextCursor };
    },

    /** Mark one of the caller's notifications read (idempotent: the first read time stays). 404 otherwise. */
    async markRead(userId: string, id: string): Promise<NotificationItem> {
      const rows = await db.execute<Parameters<typeof toItem>[0]>(sql`
        UPDATE notifications SET read_at = COALESCE(read_at, now())
        WHERE id = ${id} AND user_id = ${userId}
        RETURNING id, kind, deal_id, stage, text, created_at, read_at`);
      if (!rows[0]) throw notFound(`Notification ${id} not found`);
      return toItem(rows[0]);
    },

    async setPreferences(
      userId: string,
      prefs: Partial<Record<NotificationKind, string[]>>,
    ): Promise<NotificationPreferences> {
      const stored = Object.fromEntries(Object.entries(prefs).filter(([, v]) => v !== undefined));
      await db
        .insert(notificationPreferences)
        .values({ userId, preferences: stored, updatedAt: new Date() })
        .onConflictDoUpdate({
          target: notificationPreferences.userId,
          set: { preferences: stored, updatedAt: new Date() },
        });
      return effectivePreferences(stored);
    },

    async createWebhook(
      body: {
        url: string;
        format: WebhookFormat;
        secret?: string;
        events?: NotificationKind[];
        userId?: string;
        teamManagerId?: string;
      },
      createdBy: string,
    ): Promise<WebhookDto> {
      // Webhooks cannot reach inside: every delivery checks again when it connects.
      const refused = await checkWebhookTarget(new URL(body.url), webhookPolicy);
      if (refused) {
        throw badRequest('Webhook URL not allowed', [
          {
            path: 'body.url',
            message: `${refused}; only public addresses and the hosts in WEBHOOK_ALLOW_HOSTS may be used`,
          },
        ]);
      }
      const ids = [body.userId, body.teamManagerId].filter((v): v is string => !!v);
      if (ids.length) {
        const found = new Set(
          (await db.select({ id: users.id }).from(users).where(inArray(users.id, ids))).map((u) => u.id),
        );
        const errors = (['userId', 'teamManagerId'] as const)
          .filter((k) => body[k] && !found.has(body[k]!))
          .map((k) => ({ path: `body.${k}`, message: `unknown user ${body[k]}` }));
        if (errors.length) throw badRequest('Unknown user', errors);
      }
      const [row] = await db
        .insert(webhooks)
        .values({
          id: `whk_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
          url: body.url,
          format: body.format,
          secret: body.secret ?? null,
          events: body.events ? [...new Set(body.events)] : null,
          userId: body.userId ?? null,
          teamManagerId: body.teamManagerId ?? null,
          createdBy,
        })
        .returning();
      return toWebhook(row);
    },

    async listWebhooks(q: { limit: number; cursor?: string }): Promise<Page<WebhookDto>> {
      const cursor = decodeCursor(q.cursor, WebhookCursor);
      const rows = await db.execute<{ id: string; t: string }>(sql`
        SELECT id, to_char(created_at AT TIME ZONE 'UTC', ${sql.raw(US)}) AS t FROM webhooks
        WHERE disabled_at IS NULL
          ${cursor ? sql`AND (created_at, id) > (${cursor.t}::timestamptz, ${cursor.i}::text)` : sql``}
        ORDER BY created_at, id
        LIMIT ${q.limit + 1}`);
      const p = page([...rows], q.limit, (last) => ({ t: last.t, i: last.id }));
      const ids = p.items.map((r) => r.id);
      const full = ids.length ? await db.select().from(webhooks).where(inArray(webhooks.id, ids)) : [];
      const byId = new Map(full.map((w) => [w.id, w]));
      return { items: ids.map((id) => toWebhook(byId.get(id)!)), nextCursor: p.nextCursor };
    },

    /** Soft delete: deliveries keep naming it; in-flight retries to it stop (failed: webhook deleted). */
    async deleteWebhook(id: string): Promise<void> {
      const rows = await db
        .update(webhooks)
        .set({ disabledAt: new Date() })
        .where(and(eq(webhooks.id, id), isNull(webhooks.disabledAt)))
        .returning({ id: webhooks.id });
      if (!rows[0]) throw notFound(`Webhook ${id} not found`);
    },

    /** Deliveries whose retries are exhausted, most recent first. */
    async failedDeliveries(q: { limit: number; cursor?: string }): Promise<Page<FailedDelivery>> {
      const cursor = decodeCursor(q.cursor, FailedCursor);
      const rows = await db.execute<{
        notification_id: string;
        channel: string;
        kind: string;
        deal_id: string;
        stage: string | null;
        user_id: string;
        attempts: number;
        last_error: string | null;
        updated_at: Date;
        t: string;
      }>(sql`
        SELECT d.notification_id, d.channel, n.kind, n.deal_id, n.stage, n.user_id, d.attempts, d.last_error,
          d.updated_at, to_char(d.updated_at AT TIME ZONE 'UTC', ${sql.raw(US)}) AS t
        FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
        WHERE d.status = 'failed'
          ${
            cursor
              ? sql`AND (d.updated_at, d.notification_id, d.channel)
                  < (${cursor.t}::timestamptz, ${cursor.i}::text, ${cursor.c}::text)`
              : sql``
          }
        ORDER BY d.updated_at DESC, d.notification_id DESC, d.channel DESC
        LIMIT ${q.limit + 1}`);
      const p = page([...rows], q.limit, (last) => ({ t: last.t, i: last.notification_id, c: last.channel }));
      return {
        items: p.items.map((r) => ({
          notificationId: r.notification_id,
          channel: r.channel,
          kind: r.kind as NotificationKind,
          dealId: r.deal_id,
          stage: r.stage,
          userId: r.user_id,
          attempts: r.attempts,
          lastError: r.last_error,
          failedAt: iso(r.updated_at)!,
        })),
        nextCursor: p.nextCursor,
      };
    },

    /**
     * Resend a notification's failed deliveries (or one channel): they go back to `pending` and one
     * delivery workflow per channel (`notify-<id>-resend-<channel>`) sends them with the usual retries.
     * 404 for an unknown notification, 409 when nothing (or not that channel) has failed.
     */
    async resend(
      notificationId: string,
      channel?: string,
    ): Promise<{ notificationId: string; channels: string[]; workflowIds: string[] }> {
      const exists = await db
        .select({ id: notifications.id })
        .from(notifications)
        .where(eq(notifications.id, notificationId));
      if (!exists[0]) throw notFound(`Notification ${notificationId} not found`);
      const reset = await db.execute<{ channel: DeliveryChannel }>(sql`
        UPDATE notification_deliveries SET status = 'pending', updated_at = now()
        WHERE notification_id = ${notificationId} AND status = 'failed'
          ${channel ? sql`AND channel = ${channel}` : sql``}
        RETURNING channel`);
      const channels = reset.map((r) => r.channel).sort();
      if (!channels.length) {
        throw conflict(
          channel
            ? `Delivery ${channel} of notification ${notificationId} has not failed`
            : `Notification ${notificationId} has no failed delivery`,
        );
      }
      const workflowIds: string[] = [];
      for (const c of channels) {
        const workflowId = resendWorkflowId(notificationId, c);
        const args: DeliverNotificationArgs = { notificationId, channels: [c] };
        try {
          await deps.temporal.workflow.start(DELIVER_NOTIFICATION_WORKFLOW_TYPE, {
            taskQueue: deliveryTaskQueue(deps.taskQueue),
            workflowId,
            args: [args],
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            workflowIdConflictPolicy: 'USE_EXISTING',
          });
        } catch (err) {
          // not started: back to failed, so it stays visible and can be resent again
          await db.execute(sql`
            UPDATE notification_deliveries SET status = 'failed', updated_at = now()
            WHERE notification_id = ${notificationId} AND status = 'pending'
              AND channel IN (SELECT jsonb_array_elements_text(${JSON.stringify(channels.slice(workflowIds.length))}::jsonb))`);
          throw err;
        }
        workflowIds.push(workflowId);
      }
      return { notificationId, channels, workflowIds };
    },
  };
}

function toWebhook(w: typeof webhooks.$inferSelect): WebhookDto {
  return {
    id: w.id,
    url: maskWebhookUrl(w.url),
    format: w.format as WebhookFormat,
    hasSecret: !!w.secret,
    events: (w.events as NotificationKind[] | null) ?? null,
    userId: w.userId,
    teamManagerId: w.teamManagerId,
    scope: w.userId ? 'user' : w.teamManagerId ? 'team' : 'all',
    createdBy: w.createdBy,
    createdAt: w.createdAt.toISOString(),
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
