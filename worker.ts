/**
 * The worker process (`npm run worker`): runs deal workflows and their activities.
 * Scale it by starting more of them on the same task queue; Temporal spreads the work.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createNotificationStarter } from './activities/notifications';
import { env } from './config/env';
import { createDb, type Db } from './db/client';
import { ensureDatabase, runMigrations } from './db/migrate';
import type { DeliveryRetryOptions } from './domain/notifications/delivery';
import type { WebhookTargetPolicy } from './notifications/webhook-target';
import { ensureSearchAttributes } from './temporal/search-attributes';

export interface LtcWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  publicUrl: string;
  /** A prebuilt bundle (tests bundle once per run); otherwise the worker bundles `workflows/`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Client used by activities that start other workflows (notification delivery). */
  client?: Client;
  /** SMTP server for notification email (SMTP_URL); without it no email is sent. */
  smtpUrl?: string;
  smtpFrom?: string;
  /** Retry policy of notification deliveries (NOTIFY_RETRY_* env). */
  deliveryRetry?: Partial<DeliveryRetryOptions>;
  /** Which hosts webhooks may reach (WEBHOOK_ALLOW_HOSTS); default: public addresses only. */
  webhookPolicy?: WebhookTargetPolicy;
}

export async function createLtcWorker(opts: LtcWorkerOptions): Promise<Worker> {
  const activities = createActivities({
    db: opts.db,
    publicUrl: opts.publicUrl,
    smtpUrl: opts.smtpUrl,
    smtpFrom: opts.smtpFrom,
    deliveryRetry: opts.deliveryRetry,
    webhookPolicy: opts.webhookPolicy,
    onNotified: opts.client
      ? createNotificationStarter({
          client: opts.client,
          taskQueue: opts.taskQueue,
          db: opts.db,
          emailEnabled: Boolean(opts.smtpUrl),
        })
      : undefined,
  });
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities,
    // Keep the sticky cache warm for many open deals; each cached deal holds its plain-JSON state.
    maxCachedWorkflows: 2000,
    shutdownGraceTime: '10s',
  });
}

async function main(): Promise<void> {
  const config = env();
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for the worker');
  if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for the worker');
  // We handle SIGINT/SIGTERM ourselves to shut the worker down gracefully.
  Runtime.install({ shutdownSignals: [] });
  await ensureDatabase(config.DATABASE_URL);
  await runMigrations(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    if (added.length) console.log(JSON.stringify({ msg: 'registered search attributes', added }));
  } catch (err) {
    // Without operator rights on a managed cluster, an operator registers them instead; deals keep
    // running either way (their tasks retry until the attributes exist), so the worker starts.
    console.error(
      JSON.stringify({
        msg: 'could not register the search attributes; register them with `temporal operator search-attribute create`',
        error: String(err),
      }),
    );
  }
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const handle = createDb(config.DATABASE_URL, { max: 10 });
  const worker = await createLtcWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db: handle.db,
    publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
    client,
    smtpUrl: config.SMTP_URL,
    smtpFrom: config.SMTP_FROM,
    deliveryRetry: {
      initialIntervalMs: config.NOTIFY_RETRY_INITIAL_MS,
      maximumIntervalMs: config.NOTIFY_RETRY_MAX_INTERVAL_MS,
      scheduleToCloseMs: config.NOTIFY_RETRY_BUDGET_MS,
    },
    webhookPolicy: { allowHosts: config.WEBHOOK_ALLOW_HOSTS },
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(JSON.stringify({ msg: 'worker shutting down', signal }));
    worker.shutdown();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(JSON.stringify({ msg: 'worker ready', taskQueue: config.TEMPORAL_TASK_QUEUE }));
  await worker.run();
  await handle.close();
  await clientConnection.close();
  await connection.close();
  console.log(JSON.stringify({ msg: 'worker stopped' }));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
