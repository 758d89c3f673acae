/**
 * Notification delivery activities (run by the `deliverNotification` workflow) and the starter that
 * `recordDeal` calls for every outbox row (`onNotified`).
 *
 * - The outbox row IS the in-app inbox item: it needs no delivery.
 * - `planNotificationDelivery` decides the channels of one notification: email (SMTP configured and
 *   the recipient's preferences allow it), the recipient's own webhooks (preferences allow `webhook`)
 *   and the team webhooks in scope; it records each as a `pending` delivery.
 * - `deliverEmail` / `deliverWebhook` send one channel; every attempt counts in
 *   `notification_deliveries.attempts` and keeps its error in `last_error`; a channel already `sent`
 *   is never sent again (a retry after a crash between send and bookkeeping is the only duplicate,
 *   and it carries the same id: email `Message-ID`, generic `X-LTC-Id` and body `id`).
 * - `markDeliveryFailed` records the final failure after the retry budget is spent.
 */
import { ApplicationFailure, activityInfo, cancellationSignal } from '@temporalio/activity';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { notificationPreferences, notifications, users, webhooks } from '../db/schema';
import {
  DEFAULT_DELIVERY_RETRY,
  DELIVER_NOTIFICATION_WORKFLOW_TYPE,
  type DeliverNotificationArgs,
  type DeliveryChannel,
  type DeliveryPlan,
  type DeliveryRetryOptions,
  deliveryWorkflowId,
  effectivePreferences,
  webhookChannel,
} from '../domain/notifications/delivery';
import type {
  Locale,
  NotificationContext,
  NotificationKind,
  OutgoingNotification,
} from '../domain/notifications/types';
import { renderNotification } from '../notifications/render';
import { createMailer, DeliveryError, type Mailer } from '../notifications/send';
import { buildWebhookRequest, type WebhookFormat } from '../notifications/webhook-formats';
import { sendWebhook } from '../notifications/webhook-send';
import type { WebhookTargetPolicy } from '../notifications/webhook-target';
import { dealLink } from './deal-records';

export interface NotificationActivityDeps {
  db: Db;
  publicUrl: string;
  /** SMTP server for email, e.g. `smtp://user:pass@host:587`. Without it no email is planned. */
  smtpUrl?: string;
  smtpFrom?: string;
  /** A ready mailer (tests); wins over `smtpUrl`. */
  mailer?: Mailer;
  /** Retry policy of the send activities (overrides of DEFAULT_DELIVERY_RETRY). */
  deliveryRetry?: Partial<DeliveryRetryOptions>;
  /** One webhook request, default 10 s. */
  webhookTimeoutMs?: number;
  /** Which hosts webhooks may reach (WEBHOOK_ALLOW_HOSTS); default: public addresses only. */
  webhookPolicy?: WebhookTargetPolicy;
}

export interface PlanInput {
  notificationId: string;
  /** Deliver exactly these (a resend); otherwise planned from preferences and webhooks. */
  channels?: DeliveryChannel[];
}

export interface SendInput {
  notificationId: string;
}

export interface WebhookSendInput extends SendInput {
  webhookId: string;
}

export interface MarkFailedInput {
  notificationId: string;
  channel: DeliveryChannel;
  error: string;
}

/** The delivery activities as the workflow sees them. */
export interface NotificationDeliveryActivities {
  planNotificationDelivery(input: PlanInput): Promise<DeliveryPlan>;
  deliverEmail(input: SendInput): Promise<void>;
  deliverWebhook(input: WebhookSendInput): Promise<void>;
  markDeliveryFailed(input: MarkFailedInput): Promise<void>;
}

const MAX_ERROR_LENGTH = 1000;

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

export function createNotificationActivities(deps: NotificationActivityDeps): NotificationDeliveryActivities {
  const { db, publicUrl } = deps;
  const retry: DeliveryRetryOptions = { ...DEFAULT_DELIVERY_RETRY, ...deps.deliveryRetry };
  const mailer: Mailer | undefined =
    deps.mailer ?? (deps.smtpUrl ? createMailer(deps.smtpUrl, { from: deps.smtpFrom }) : undefined);

  async function loadNotification(notificationId: string) {
    const rows = await db
      .select({
        n: notifications,
        user: { id: users.id, name: users.name, email: users.email, locale: users.locale },
      })
      .from(notifications)
      .innerJoin(users, eq(users.id, notifications.userId))
      .where(eq(notifications.id, notificationId))
      .limit(1);
    const row = rows[0];
    if (!row) {
      throw ApplicationFailure.nonRetryable(
        `notification ${notificationId} not found`,
        'NotificationNotFound',
      );
    }
    return row;
  }

  /** The message for one channel, rendered in the recipient's current locale. Stable across retries. */
  function outgoing(row: Awaited<ReturnType<typeof loadNotification>>): OutgoingNotification {
    const locale: Locale = row.user.locale === 'zh' ? 'zh' : 'en';
    const link = dealLink(publicUrl, row.n.dealId);
    const kind = row.n.kind as NotificationKind;
    return {
      id: row.n.id,
      kind,
      dealId: row.n.dealId,
      stage: row.n.stage ?? '',
      recipients: [row.n.userId],
      at: row.n.createdAt.toISOString(),
      link,
      message: renderNotification(kind, row.n.context as NotificationContext, locale, link),
    };
  }

  /**
   * Count an attempt. Answers false when the channel is already sent (a retry after the send went
   * through but its bookkeeping did not): then nothing is sent again.
   */
  async function beginAttempt(notificationId: string, channel: DeliveryChannel): Promise<boolean> {
    const rows = await db.execute<{ status: string }>(sqlBeginAttempt(notificationId, channel));
    return rows.length > 0;
  }

  async function markSent(notificationId: string, channel: DeliveryChannel): Promise<void> {
    await db.execute(sqlMarkSent(notificationId, channel));
  }

  async function noteError(notificationId: string, channel: DeliveryChannel, error: string): Promise<void> {
    await db.execute(sqlNoteError(notificationId, channel, error));
  }

  /** Let Temporal retry a retryable failure (honouring Retry-After up to the maximum interval), or stop. */
  function toFailure(err: DeliveryError): ApplicationFailure {
    if (!err.retryable) return ApplicationFailure.nonRetryable(err.message, 'DeliveryRejected');
    let nextRetryDelay: number | undefined;
    if (err.retryAfterMs !== undefined) {
      const max = msOptionalToNumber(activityInfo().retryPolicy?.maximumInterval) ?? retry.maximumIntervalMs;
      nextRetryDelay = Math.min(Math.max(err.retryAfterMs, 1), max);
    }
    return ApplicationFailure.create({ message: err.message, type: 'DeliveryFailed', nextRetryDelay });
  }

  async function send(notificationId: string, channel: DeliveryChannel, fn: () => Promise<void>) {
    if (!(await beginAttempt(notificationId, channel))) return;
    try {
      await fn();
    } catch (err) {
      await noteError(notificationId, channel, errorMessage(err));
      if (err instanceof DeliveryError) throw toFailure(err);
      throw err;
    }
    await markSent(notificationId, channel);
  }

  return {
    async planNotificationDelivery({ notificationId, channels }: PlanInput): Promise<DeliveryPlan> {
      const row = await loadNotification(notificationId);
      let planned: DeliveryChannel[];
      if (channels) {
        planned = channels;
      } else {
        const prefsRow = await db
          .select({ preferences: notificationPreferences.preferences })
          .from(notificationPreferences)
          .where(eq(notificationPreferences.userId, row.n.userId));
        const allowed = effectivePreferences(prefsRow[0]?.preferences)[row.n.kind as NotificationKind] ?? [];
        planned = [];
        if (mailer && allowed.includes('email')) planned.push('email');
        const hooks = await db.execute<{ id: string; user_id: string | null }>(
          sqlWebhooksInScope(row.n.userId, row.n.kind),
        );
        for (const h of hooks) {
          // a user's own webhook follows their preferences; team webhooks are ops' and get everything
          if (h.user_id !== null && !allowed.includes('webhook')) continue;
          planned.push(webhookChannel(h.id));
        }
        // a re-run (e.g. a delivery workflow started again after its history expired) skips what is decided
        const decided = await db.execute<{ channel: string }>(sqlDecided(notificationId));
        const done = new Set(decided.map((d) => d.channel));
        planned = planned.filter((c) => !done.has(c));
      }
      if (planned.length) await db.execute(sqlPending(notificationId, planned));
      return { channels: planned, retry };
    },

    async deliverEmail({ notificationId }: SendInput): Promise<void> {
      await send(notificationId, 'email', async () => {
        if (!mailer) {
          throw new DeliveryError('email is not configured on this worker (SMTP_URL)', { retryable: true });
        }
        const row = await loadNotification(notificationId);
        await mailer.send(outgoing(row), { email: row.user.email, name: row.user.name });
      });
    },

    async deliverWebhook({ notificationId, webhookId }: WebhookSendInput): Promise<void> {
      await send(notificationId, webhookChannel(webhookId), async () => {
        const row = await loadNotification(notificationId);
        const hook = (await db.select().from(webhooks).where(eq(webhooks.id, webhookId)).limit(1))[0];
        if (!hook || hook.disabledAt) {
          throw ApplicationFailure.nonRetryable(`webhook ${webhookId} was deleted`, 'WebhookGone');
        }
        const req = buildWebhookRequest(hook.format as WebhookFormat, outgoing(row), {
          url: hook.url,
          secret: hook.secret,
        });
        // never outlive the attempt (a hung receiver must not pin the worker past its timeout)
        const info = activityInfo();
        const attemptMs = info.startToCloseTimeoutMs > 0 ? info.startToCloseTimeoutMs - 200 : Infinity;
        await sendWebhook(req, {
          timeoutMs: Math.max(500, Math.min(deps.webhookTimeoutMs ?? 10_000, attemptMs)),
          signal: cancellationSignal(),
          policy: deps.webhookPolicy,
        });
      });
    },

    async markDeliveryFailed({ notificationId, channel, error }: MarkFailedInput): Promise<void> {
      await db.execute(sqlMarkFailed(notificationId, channel, errorMessage(error)));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

function sqlBeginAttempt(notificationId: string, channel: string) {
  return sql`
    INSERT INTO notification_deliveries (notification_id, channel, status, attempts, updated_at)
    VALUES (${notificationId}, ${channel}, 'pending', 1, now())
    ON CONFLICT (notification_id, channel) DO UPDATE
      SET attempts = notification_deliveries.attempts + 1, status = 'pending', updated_at = now()
      WHERE notification_deliveries.status <> 'sent'
    RETURNING status`;
}

function sqlMarkSent(notificationId: string, channel: string) {
  return sql`
    UPDATE notification_deliveries SET status = 'sent', sent_at = now(), updated_at = now(), last_error = NULL
    WHERE notification_id = ${notificationId} AND channel = ${channel}`;
}

function sqlNoteError(notificationId: string, channel: string, error: string) {
  return sql`
    UPDATE notification_deliveries SET last_error = ${error}, updated_at = now()
    WHERE notification_id = ${notificationId} AND channel = ${channel} AND status <> 'sent'`;
}

function sqlMarkFailed(notificationId: string, channel: string, error: string) {
  return sql`
    INSERT INTO notification_deliveries (notification_id, channel, status, attempts, last_error, updated_at)
    VALUES (${notificationId}, ${channel}, 'failed', 0, ${error}, now())
    ON CONFLICT (notification_id, channel) DO UPDATE
      SET status = 'failed', updated_at = now(),
        last_error = COALESCE(notification_deliveries.last_error, EXCLUDED.last_error)
      WHERE notification_deliveries.status <> 'sent'`;
}

function sqlPending(notificationId: string, channels: string[]) {
  return sql`
    INSERT INTO notification_deliveries (notification_id, channel, status, attempts)
    SELECT ${notificationId}, c, 'pending', 0 FROM jsonb_array_elements_text(${JSON.stringify(channels)}::jsonb) AS c
    ON CONFLICT (notification_id, channel) DO NOTHING`;
}

function sqlDecided(notificationId: string) {
  return sql`
    SELECT channel FROM notification_deliveries
    WHERE notification_id = ${notificationId} AND status IN ('sent', 'failed')`;
}

/**
 * Active webhooks that get a notification of `kind` for `userId`: the user's own, team-wide ones
 * without a team (everything), and team ones whose team manager is the user or above them.
 */
function sqlWebhooksInScope(userId: string, kind: string) {
  return sql`
    WITH RECURSIVE chain AS (
      SELECT id, manager_id, 0 AS depth FROM users WHERE id = ${userId}
      UNION
      SELECT u.id, u.manager_id, c.depth + 1 FROM users u JOIN chain c ON u.id = c.manager_id WHERE c.depth < 50
    )
    SELECT w.id, w.user_id FROM webhooks w
    WHERE w.disabled_at IS NULL
      AND (w.events IS NULL OR ${kind} = ANY(w.events))
      AND (
        w.user_id = ${userId}
        OR (w.user_id IS NULL AND (w.team_manager_id IS NULL OR w.team_manager_id IN (SELECT id FROM chain)))
      )
    ORDER BY w.created_at, w.id`;
}

// ---------------------------------------------------------------------------------------------
// Starting delivery (called by recordDeal for every outbox row of a write)
// ---------------------------------------------------------------------------------------------

export interface NotificationStarterDeps {
  client: Client;
  /** The deliveries' own task queue (`deliveryTaskQueue` of the deals' queue). */
  taskQueue: string;
  /** With a database, rows that can only go to the in-app inbox start no workflow at all. */
  db?: Db;
  /** Whether email can be sent (SMTP configured). */
  emailEnabled?: boolean;
}

/**
 * Whether an outbox row may need a delivery workflow at all: SMTP is configured, or some webhook is
 * active. When neither, the row is only the in-app inbox item, and a command's write tells its
 * workflow that there is nothing to start (no delivery activity, no extra workflow task).
 */
export function deliveryNeededCheck({ db, emailEnabled }: { db: Db; emailEnabled: boolean }) {
  return async (): Promise<boolean> =>
    emailEnabled ||
    (await db.execute(sql`SELECT 1 FROM webhooks WHERE disabled_at IS NULL LIMIT 1`)).length > 0;
}

/**
 * `onNotified`: start one `deliverNotification` workflow per outbox row, id `notify-<notificationId>`.
 * A second start for the same row (a retried `recordDeal`) is rejected by Temporal and ignored, also
 * after the first run has closed (REJECT_DUPLICATE).
 */
export function createNotificationStarter({
  client,
  taskQueue,
  db,
  emailEnabled = true,
}: NotificationStarterDeps) {
  return async (rows: { id: string }[]): Promise<void> => {
    if (db && !emailEnabled) {
      // The outbox row already is the inbox item. Without SMTP, only a webhook needs delivering:
      // skip the delivery workflows when no webhook is active at all (one cheap query).
      const any = await db.execute(sql`SELECT 1 FROM webhooks WHERE disabled_at IS NULL LIMIT 1`);
      if (any.length === 0) return;
    }
    await Promise.all(
      rows.map(async (r) => {
        const args: DeliverNotificationArgs = { notificationId: r.id };
        try {
          await client.workflow.start(DELIVER_NOTIFICATION_WORKFLOW_TYPE, {
            taskQueue,
            workflowId: deliveryWorkflowId(r.id),
            args: [args],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            workflowIdConflictPolicy: 'FAIL',
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) return;
          throw err;
        }
      }),
    );
  };
}
