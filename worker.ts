/**
 * The worker process (`npm run worker`): runs deal workflows and their activities on the deals'
 * task queue, and notification deliveries on a queue of their own (`<queue>-notify`), each with its
 * own slots and pollers, so deliveries piling up never delay a deal's workflow task.
 * Scale it by starting more of them on the same task queue; Temporal spreads the work.
 */

import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  NativeConnection,
  Runtime,
  type State,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from './activities';
import { createNotificationStarter, deliveryNeededCheck } from './activities/notifications';
import { createLogger, type Logger } from './api/http/logger';
import { env } from './config/env';
import { createDb, type Db } from './db/client';
import { ensureDatabase, runMigrations } from './db/migrate';
import { type DeliveryRetryOptions, deliveryTaskQueue } from './domain/notifications/delivery';
import type { WebhookTargetPolicy } from './notifications/webhook-target';
import { createTracing, startTracing } from './telemetry/tracing';
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
  /** Cache and concurrency limits (WORKER_* env); SDK-independent defaults below. */
  tuning?: WorkerTuning;
  /** Extra Temporal interceptors (OpenTelemetry tracing). */
  interceptors?: WorkerOptions['interceptors'];
  sinks?: WorkerOptions['sinks'];
}

export interface WorkerTuning {
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
}

/** Defaults for a 2-core machine: see the README's Configuration. */
export const DEFAULT_TUNING: Required<WorkerTuning> = {
  maxCachedWorkflows: 1000,
  maxConcurrentWorkflowTaskExecutions: 10,
  maxConcurrentActivityTaskExecutions: 20,
  maxConcurrentLocalActivityExecutions: 20,
};

/**
 * The deliveries' worker. A delivery is two short workflow tasks: the first always comes from the
 * normal queue, the second from the worker's sticky queue while the run is cached. The SDK's default
 * gives the normal queue a fifth of the pollers (one or two here), and a chaos run saw deliveries
 * start at 11 a second behind a backlog of 10,000 with the CPU partly idle; so the deliveries' pollers
 * are split evenly (DELIVERY_POLLING). The cache stays small but on: the plan's local activity runs
 * while its workflow task is open, which an uncached run cannot do.
 */
const DELIVERY_TUNING: Required<WorkerTuning> = {
  maxCachedWorkflows: 50,
  // A delivery's first workflow task holds its slot while the plan (a local activity) reads Postgres.
  maxConcurrentWorkflowTaskExecutions: 10,
  maxConcurrentActivityTaskExecutions: 20,
  maxConcurrentLocalActivityExecutions: 8,
};

const DELIVERY_POLLING = {
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 10 },
  nonStickyToStickyPollRatio: 0.5,
} satisfies Partial<WorkerOptions>;

/**
 * The process's two Temporal workers, run and stopped together: deal workflows (and the other
 * workflows but deliveries) on the task queue, deliveries on `deliveryTaskQueue(taskQueue)`.
 */
export interface LtcWorker {
  /** Runs both until both stop; when one fails, the other is shut down and the error thrown. */
  run(): Promise<void>;
  /** Graceful: both stop polling and finish what they hold. */
  shutdown(): void;
  /** RUNNING only while both run. */
  getState(): State;
}

function runTogether(deals: Worker, deliveries: Worker): LtcWorker {
  const workers = [deals, deliveries];
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    async run() {
      const runs = workers.map((w) => w.run());
      try {
        await Promise.all(runs);
      } catch (err) {
        shutdown();
        await Promise.allSettled(runs);
        throw err;
      }
    },
    shutdown,
    getState: () => workers.find((w) => w.getState() !== 'RUNNING')?.getState() ?? 'RUNNING',
  };
}

export async function createLtcWorker(opts: LtcWorkerOptions): Promise<LtcWorker> {
  const deliveryQueue = deliveryTaskQueue(opts.taskQueue);
  const activities = createActivities({
    db: opts.db,
    publicUrl: opts.publicUrl,
    smtpUrl: opts.smtpUrl,
    smtpFrom: opts.smtpFrom,
    deliveryRetry: opts.deliveryRetry,
    webhookPolicy: opts.webhookPolicy,
    client: opts.client,
    onNotified: opts.client
      ? createNotificationStarter({
          client: opts.client,
          taskQueue: deliveryQueue,
          db: opts.db,
          emailEnabled: Boolean(opts.smtpUrl),
        })
      : undefined,
    deliveryNeeded: deliveryNeededCheck({ db: opts.db, emailEnabled: Boolean(opts.smtpUrl) }),
  });
  // Both workers load the same workflows and activities (bundled once here when no prebuilt bundle
  // is given): deliveries started on the deals' queue before they had a queue of their own still
  // finish there.
  const workflowBundle =
    opts.workflowBundle ??
    (await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows'),
      workflowInterceptorModules: opts.interceptors?.workflowModules,
      logger: Runtime.instance().logger,
    }));
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    workflowBundle,
    activities,
    // The bundle already holds the workflow interceptor modules (here or in build-workflows.ts).
    ...(opts.interceptors ? { interceptors: { ...opts.interceptors, workflowModules: undefined } } : {}),
    ...(opts.sinks ? { sinks: opts.sinks } : {}),
    // On SIGTERM: stop polling, let running activities finish for this long, then cancel them.
    shutdownGraceTime: '10s',
  } satisfies Omit<WorkerOptions, 'taskQueue'>;
  const deals = await Worker.create({
    ...common,
    taskQueue: opts.taskQueue,
    // The sticky cache keeps open deals warm (each holds its plain-JSON state); the task limits
    // keep a 2-core machine responsive (workflow tasks are CPU, activities wait on Postgres).
    ...DEFAULT_TUNING,
    ...opts.tuning,
  });
  const deliveries = await Worker.create({
    ...common,
    taskQueue: deliveryQueue,
    ...DELIVERY_TUNING,
    ...DELIVERY_POLLING,
  });
  return runTogether(deals, deliveries);
}

/** Temporal's Core and SDK logs, written through pino as one JSON line each. */
function temporalLogger(logger: Logger): DefaultLogger {
  const levels: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN' };
  const level = levels[logger.level] ?? 'ERROR';
  return new DefaultLogger(level, (entry) => {
    const meta = { ...entry.meta, sdk: true };
    const method = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    logger[method](meta, entry.message);
  });
}

/** The workflow code: the prebuilt bundle at WORKFLOW_BUNDLE_PATH, or bundled now from `workflows/`. */
export function workflowBundleFrom(bundlePath: string | undefined): WorkerOptions['workflowBundle'] {
  if (!bundlePath) return undefined;
  if (!fs.existsSync(bundlePath)) {
    throw new Error(`WORKFLOW_BUNDLE_PATH=${bundlePath} does not exist: run \`npm run build:workflows\``);
  }
  return { codePath: bundlePath };
}

async function main(): Promise<void> {
  const config = env();
  const logger = createLogger(config.LOG_LEVEL, { base: { service: 'ltc-worker' } });
  // Start and stop lines are written at any level but `silent` (supervisors and tests wait for
  // "worker ready").
  const lifecycle =
    config.LOG_LEVEL === 'silent' || logger.isLevelEnabled('info')
      ? logger
      : logger.child({}, { level: 'info' });
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for the worker');
  if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for the worker');
  // We handle SIGINT/SIGTERM ourselves to shut the worker down gracefully.
  Runtime.install({ shutdownSignals: [], logger: temporalLogger(logger) });
  // The prebuilt bundle carries the tracing workflow interceptors, whose spans leave through the
  // `exporter` sink: without an endpoint that sink is still there, and drops them.
  const tracing =
    (await startTracing('ltc-worker', config.OTEL_EXPORTER_OTLP_ENDPOINT, config.OTEL_SERVICE_NAME)) ??
    (config.WORKFLOW_BUNDLE_PATH ? createTracing({ serviceName: 'ltc-worker' }) : undefined);
  await ensureDatabase(config.DATABASE_URL);
  await runMigrations(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    if (added.length) logger.info({ added }, 'registered search attributes');
  } catch (err) {
    // Without operator rights on a managed cluster, an operator registers them instead; deals keep
    // running either way (their tasks retry until the attributes exist), so the worker starts.
    logger.error(
      { err },
      'could not register the search attributes; register them with `temporal operator search-attribute create`',
    );
  }
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({
    connection: clientConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
  const handle = createDb(config.DATABASE_URL, { max: config.DB_POOL_MAX });
  const worker = await createLtcWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db: handle.db,
    workflowBundle: workflowBundleFrom(config.WORKFLOW_BUNDLE_PATH),
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
    tuning: {
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    },
    ...(tracing ? { interceptors: tracing.workerInterceptors, sinks: tracing.sinks } : {}),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Drain: stop polling, finish the tasks in hand (activities get shutdownGraceTime), then exit.
    lifecycle.info({ signal }, 'worker draining');
    worker.shutdown();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  lifecycle.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deliveryTaskQueue: deliveryTaskQueue(config.TEMPORAL_TASK_QUEUE),
      bundle: config.WORKFLOW_BUNDLE_PATH ?? 'built at start',
    },
    'worker ready',
  );
  const heartbeat = config.WORKER_HEALTH_FILE
    ? setInterval(() => {
        if (worker.getState() === 'RUNNING')
          fs.writeFileSync(config.WORKER_HEALTH_FILE as string, `${Date.now()}\n`);
      }, 10_000)
    : undefined;
  await worker.run();
  if (heartbeat) clearInterval(heartbeat);
  await handle.close();
  await clientConnection.close();
  await connection.close();
  await tracing?.shutdown();
  lifecycle.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    createLogger('error', { base: { service: 'ltc-worker' } }).fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
