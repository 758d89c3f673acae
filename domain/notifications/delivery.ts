/**
 * The contract of notification delivery between the worker (activities), the delivery workflow and
 * the API: workflow type and id, arguments, channels, preferences and the retry policy.
 *
 * Dependency-free (plain types and constants only), so the workflow bundle can import it.
 */
import type { NotificationKind } from './types';

export const NOTIFICATION_KINDS = ['task', 'reminder', 'escalation', 'decision', 'status'] as const;
export const PREFERENCE_CHANNELS = ['inbox', 'email', 'webhook'] as const;
export type PreferenceChannel = (typeof PREFERENCE_CHANNELS)[number];

/** `{ [kind]: channel[] }`: the channels a user gets each kind on. */
export type NotificationPreferences = Record<NotificationKind, PreferenceChannel[]>;

/** Without stored preferences every user gets every kind on every channel (inbox, email, own webhooks). */
export function defaultPreferences(): NotificationPreferences {
  return {
    task: [...PREFERENCE_CHANNELS],
    reminder: [...PREFERENCE_CHANNELS],
    escalation: [...PREFERENCE_CHANNELS],
    decision: [...PREFERENCE_CHANNELS],
    status: [...PREFERENCE_CHANNELS],
  };
}

/** Stored preferences (possibly partial or stale) over the defaults: a kind not stored keeps all channels. */
export function effectivePreferences(stored: unknown): NotificationPreferences {
  const out = defaultPreferences();
  if (!stored || typeof stored !== 'object') return out;
  for (const kind of NOTIFICATION_KINDS) {
    const v = (stored as Record<string, unknown>)[kind];
    if (Array.isArray(v)) {
      out[kind] = PREFERENCE_CHANNELS.filter((c) => v.includes(c));
    }
  }
  return out;
}

/** Workflow type of the delivery workflow (exported by `workflows/index.ts`). */
export const DELIVER_NOTIFICATION_WORKFLOW_TYPE = 'deliverNotification';

/**
 * The task queue of delivery workflows (and their activities): one of their own next to the deals'
 * queue, polled by the same worker process. Deliveries can pile up (a receiver down, a burst of
 * reminders and escalations); on a shared queue a deal's workflow task waited behind them for
 * minutes (a chaos run: 960 delivery tasks ahead, 5 minutes old), so a sign-off was refused meanwhile.
 */
export const deliveryTaskQueue = (dealTaskQueue: string): string => `${dealTaskQueue}-notify`;

/** One delivery workflow per outbox row; starting it twice is a no-op. */
export const deliveryWorkflowId = (notificationId: string): string => `notify-${notificationId}`;

/** An ops resend of one failed channel of a notification (one at a time per channel). */
export const resendWorkflowId = (notificationId: string, channel: DeliveryChannel): string =>
  `notify-${notificationId}-resend-${channel}`;

/** A delivery channel as stored in `notification_deliveries.channel`: `email` or `webhook:<id>`. */
export type DeliveryChannel = 'email' | `webhook:${string}`;

export const webhookChannel = (webhookId: string): DeliveryChannel => `webhook:${webhookId}`;

export function webhookIdOf(channel: string): string | null {
  return channel.startsWith('webhook:') ? channel.slice('webhook:'.length) : null;
}

/**
 * Retry policy of each channel's send activity. Defaults: first retry after 1 s, doubling, at most
 * 5 min apart, for 1 h in all; then the delivery is marked failed (visible to ops, resendable).
 */
export interface DeliveryRetryOptions {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** Overall budget of one channel's delivery (Temporal scheduleToCloseTimeout). */
  scheduleToCloseMs: number;
  /** One attempt (Temporal startToCloseTimeout). */
  attemptTimeoutMs: number;
}

export const DEFAULT_DELIVERY_RETRY: DeliveryRetryOptions = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 5 * 60_000,
  scheduleToCloseMs: 60 * 60_000,
  attemptTimeoutMs: 30_000,
};

export interface DeliverNotificationArgs {
  notificationId: string;
  /**
   * Deliver exactly these channels (an ops resend). Without it, the workflow plans the channels from
   * the recipient's preferences, the webhooks in scope and the SMTP configuration.
   */
  channels?: DeliveryChannel[];
  /** Overrides of the worker's retry policy. */
  retry?: Partial<DeliveryRetryOptions>;
}

export interface DeliveryPlan {
  channels: DeliveryChannel[];
  /** The worker's configured retry policy (the workflow reads it here, so API and worker agree). */
  retry: DeliveryRetryOptions;
}

export interface ChannelOutcome {
  channel: DeliveryChannel;
  status: 'sent' | 'failed';
  error?: string;
}

export interface DeliverNotificationResult {
  notificationId: string;
  deliveries: ChannelOutcome[];
}

/** ApplicationFailure types of the send activities that must not be retried. */
export const NON_RETRYABLE_DELIVERY_ERRORS = ['DeliveryRejected', 'NotificationNotFound', 'WebhookGone'];
