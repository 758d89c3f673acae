/**
 * `deliverNotification`: delivers one outbox row (id `notify-<notificationId>`), in its own workflow
 * so a dead receiver never delays a deal.
 *
 * It asks an activity which channels apply (and the worker's retry policy), then runs one send
 * activity per channel in parallel, each retried with exponential backoff until its budget
 * (scheduleToCloseTimeout) is spent. Since the `delivery-plan-local` patch the plan is a local
 * activity (one database read, inside the first workflow task): a delivery costs two workflow tasks
 * and one activity task instead of three and two, which counts when thousands of reminders queue up.
 * A channel that finally fails is recorded as `failed` (visible to ops, resendable); the workflow
 * itself never fails because of a receiver.
 */
import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  type LocalActivityOptions,
  patched,
  proxyActivities,
  proxyLocalActivities,
  TemporalFailure,
} from '@temporalio/workflow';
import type { NotificationDeliveryActivities } from '../activities/notifications';
import {
  type ChannelOutcome,
  type DeliverNotificationArgs,
  type DeliverNotificationResult,
  type DeliveryChannel,
  type DeliveryPlan,
  type DeliveryRetryOptions,
  NON_RETRYABLE_DELIVERY_ERRORS,
  webhookIdOf,
} from '../domain/notifications/delivery';

export const DELIVERY_PLAN_LOCAL_PATCH = 'delivery-plan-local';

/** Bookkeeping in our own Postgres: retried until it works (a database outage must not drop anything). */
const BOOKKEEPING: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['NotificationNotFound'],
  },
};
const bookkeeping = proxyActivities<NotificationDeliveryActivities>(BOOKKEEPING);
/**
 * The plan as a local activity: for one minute at most. Its retries happen inside the open workflow
 * task (holding a slot, growing the history); past that the plan is left to the activity above.
 */
const localBookkeeping = proxyLocalActivities<NotificationDeliveryActivities>({
  ...(BOOKKEEPING as LocalActivityOptions),
  scheduleToCloseTimeout: '1m',
});

const isNotFound = (err: unknown): boolean => {
  // An activity's failure is wrapped in an ActivityFailure; a local activity's arrives as thrown.
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.type === 'NotificationNotFound';
};

/** The channels and retry policy of the delivery (locally first since the patch, see above). */
async function planDelivery(input: { notificationId: string; channels?: DeliveryChannel[] }) {
  if (patched(DELIVERY_PLAN_LOCAL_PATCH)) {
    try {
      return await localBookkeeping.planNotificationDelivery(input);
    } catch (err) {
      if (isNotFound(err)) throw err;
    }
  }
  return bookkeeping.planNotificationDelivery(input);
}

function senders(retry: DeliveryRetryOptions): NotificationDeliveryActivities {
  return proxyActivities<NotificationDeliveryActivities>({
    startToCloseTimeout: Math.min(retry.attemptTimeoutMs, retry.scheduleToCloseMs),
    scheduleToCloseTimeout: retry.scheduleToCloseMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      nonRetryableErrorTypes: NON_RETRYABLE_DELIVERY_ERRORS,
    },
  });
}

/** The most telling message of a failure chain (the receiver's answer rather than "activity failed"). */
function failureText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e.message) parts.push(e.message);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.length ? parts[parts.length - 1] : String(err);
}

export async function deliverNotification(args: DeliverNotificationArgs): Promise<DeliverNotificationResult> {
  const { notificationId } = args;
  if (!notificationId) {
    throw ApplicationFailure.nonRetryable('deliverNotification needs a notificationId', 'InvalidArguments');
  }
  let plan: DeliveryPlan;
  try {
    plan = await planDelivery({ notificationId, channels: args.channels });
  } catch (err) {
    // The only failure that gets here: the outbox row does not exist (nothing to deliver).
    if (isNotFound(err)) return { notificationId, deliveries: [] };
    throw err;
  }
  const send = senders({ ...plan.retry, ...args.retry });

  const deliver = async (channel: DeliveryChannel): Promise<ChannelOutcome> => {
    try {
      const webhookId = webhookIdOf(channel);
      if (webhookId) await send.deliverWebhook({ notificationId, webhookId });
      else await send.deliverEmail({ notificationId });
      return { channel, status: 'sent' };
    } catch (err) {
      if (!(err instanceof TemporalFailure)) throw err;
      const error = failureText(err);
      await bookkeeping.markDeliveryFailed({ notificationId, channel, error });
      return { channel, status: 'failed', error };
    }
  };

  const deliveries = await Promise.all(plan.channels.map(deliver));
  return { notificationId, deliveries };
}
