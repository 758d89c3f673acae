/**
 * A real world for integration tests: the real Temporal dev server and the real Postgres started by
 * `npm test` (scripts/test.ts), a worker on a task queue of its own running the bundled workflows,
 * and the real express app.
 */
import { randomUUID } from 'node:crypto';
import dns from 'node:dns';
import fs from 'node:fs';
import type { LookupFunction } from 'node:net';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Express } from 'express';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { type App, type AppDeps, createApp } from '../../../api/app';
import { hashToken, newToken } from '../../../api/auth/tokens';
import type { RegisteredRoute } from '../../../api/http/route';
import { applyProcessDefinition } from '../../../api/process-definitions/repo';
import { createDb, type DbHandle } from '../../../db/client';
import { apiTokens, users } from '../../../db/schema';
import { validateProcessDefinition } from '../../../definitions/validate';
import {
  type DeliveryRetryOptions,
  deliveryTaskQueue,
  deliveryWorkflowId,
} from '../../../domain/notifications/delivery';
import type { ProcessDefinition, ProcessVersion } from '../../../domain/process/types';
import type { WebhookTargetPolicy } from '../../../notifications/webhook-target';
import { ensureSearchAttributes } from '../../../temporal/search-attributes';
import { createLtcWorker, type LtcWorker } from '../../../worker';
import { workflowIdForDeal } from '../../../workflows/messages';

let runtimeInstalled = false;

/**
 * What the world's webhooks may reach, as WEBHOOK_ALLOW_HOSTS would say: the local receivers of
 * notification-receivers.ts add their `127.0.0.1:<port>` here while they listen. Everything else
 * goes through the real check (only public addresses).
 */
export const webhookAllowHosts = new Set<string>();

/** Test DNS answers (name -> addresses), consulted before the real DNS: a name can be made to change its answer. */
export const testDns = new Map<string, string[]>();

const testLookup: LookupFunction = (hostname, options, callback) => {
  const answer = testDns.get(hostname.toLowerCase());
  if (!answer) return dns.lookup(hostname, options, callback);
  const list = answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  if (options.all) callback(null, list);
  else callback(null, list[0].address, list[0].family);
};

/** The API's and the worker's webhook policy in the test world. */
export const webhookPolicy: WebhookTargetPolicy = { allowHosts: webhookAllowHosts, lookup: testLookup };

export interface World {
  db: DbHandle['db'];
  sql: DbHandle['sql'];
  client: Client;
  app: Express;
  /** Every route of the app's route registry (what the OpenAPI document lists). */
  routes: readonly RegisteredRoute[];
  taskQueue: string;
  /** A short random suffix for ids, so test files never collide. */
  ns: string;
  worker: LtcWorker;
  /** Stop the worker (graceful) and start a fresh one on the same task queue. */
  restartWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestUser {
  id: string;
  token: string;
  auth: { Authorization: string };
}

export interface WorldOptions {
  /** The worker's log level (default WARN); `npm run fuzz` keeps expected delivery failures quiet. */
  workerLogLevel?: 'WARN' | 'ERROR';
  /** SMTP server the worker sends notification email to. */
  smtpUrl?: string;
  /** Notification delivery retry policy (e.g. a short overall budget). */
  deliveryRetry?: Partial<DeliveryRetryOptions>;
  /** Serve this built web app under /app/ (the browser tests). */
  webDir?: string;
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const address = process.env.TEMPORAL_ADDRESS;
  const databaseUrl = process.env.DATABASE_URL;
  const bundlePath = process.env.LTC_WORKFLOW_BUNDLE;
  if (!address || !databaseUrl || !bundlePath) throw new Error('run integration tests with `npm test`');
  if (!runtimeInstalled) {
    Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(opts.workerLogLevel ?? 'WARN') });
    runtimeInstalled = true;
  }
  const handle = createDb(databaseUrl, { max: 10 });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const nativeConnection = await NativeConnection.connect({ address });
  await ensureSearchAttributes(nativeConnection, 'default');
  const ns = randomUUID().slice(0, 8);
  const taskQueue = `test-${ns}`;
  const publicUrl = 'http://localhost:3000';

  let worker!: LtcWorker;
  let running: Promise<void> | undefined;
  const startWorker = async () => {
    worker = await createLtcWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      db: handle.db,
      publicUrl,
      client,
      workflowBundle: { codePath: bundlePath },
      smtpUrl: opts.smtpUrl,
      deliveryRetry: opts.deliveryRetry,
      webhookPolicy,
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (!running) return;
    worker.shutdown();
    await running;
    running = undefined;
  };
  await startWorker();
  const { app, registry } = testApp({
    db: handle.db,
    temporal: client,
    taskQueue,
    publicUrl,
    webDir: opts.webDir,
  });
  return {
    db: handle.db,
    sql: handle.sql,
    client,
    app,
    routes: registry.routes(),
    taskQueue,
    ns,
    get worker() {
      return worker;
    },
    startWorker,
    stopWorker,
    restartWorker: async () => {
      await stopWorker();
      await startWorker();
    },
    stop: async () => {
      await terminateOpenWorkflows(client, taskQueue);
      await stopWorker();
      await nativeConnection.close();
      await connection.close();
      await handle.close();
    },
  };
}

/**
 * End every workflow still open on the world's task queue (deals, notification deliveries), so
 * their timers and retries do not pile up on the shared dev server for the rest of the run.
 */
async function terminateOpenWorkflows(client: Client, taskQueue: string): Promise<void> {
  const query = `TaskQueue IN ('${taskQueue}', '${deliveryTaskQueue(taskQueue)}') AND ExecutionStatus = 'Running'`;
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map(
        (id) =>
          client.workflow
            .getHandle(id)
            .terminate('test world stopped')
            .catch(() => undefined), // it ended meanwhile
      ),
    );
  }
}

/**
 * The API on the world's database, Temporal and task queue, with `overrides`. Rate limits are high
 * unless overridden: tests share Postgres's rate-limit buckets, and every request comes from
 * 127.0.0.1.
 */
function testApp(deps: Pick<AppDeps, 'db' | 'temporal' | 'taskQueue' | 'publicUrl'> & Partial<AppDeps>): App {
  return createApp({
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    namespace: 'default',
    temporalUiUrl: 'http://localhost:8233',
    rateLimitPerMinute: 100_000,
    rateLimitReadsPerMinute: 1_000_000,
    rateLimitFailedAuthPerMinute: 1_000_000,
    webhookPolicy,
    ...deps,
  });
}

/** Another API instance on the world's database and task queue, like a second replica. */
export function replicaApp(world: World, overrides: Partial<AppDeps> = {}): Express {
  return testApp({
    db: world.db,
    temporal: world.client,
    taskQueue: world.taskQueue,
    publicUrl: 'http://localhost:3000',
    ...overrides,
  }).app;
}

/** Insert a user with a fresh token. */
export async function createUser(
  world: World,
  u: {
    id: string;
    roles?: string[];
    managerId?: string | null;
    groups?: string[];
    locale?: 'zh' | 'en';
    name?: string;
  },
): Promise<TestUser> {
  const id = `${u.id}-${world.ns}`;
  await world.db.insert(users).values({
    id,
    name: u.name ?? u.id,
    email: `${id}@example.test`,
    roles: u.roles ?? ['member'],
    managerId: u.managerId ?? null,
    groups: u.groups ?? [],
    locale: u.locale ?? 'en',
  });
  const t = newToken();
  await world.db.insert(apiTokens).values({ id: t.id, userId: id, tokenHash: hashToken(t.token) });
  return { id, token: t.token, auth: { Authorization: `Bearer ${t.token}` } };
}

/** A small org: AR, SR, FR report to a manager, who reports to a director; plus ops. */
export async function createOrg(world: World) {
  const director = await createUser(world, { id: 'director', roles: ['manager'] });
  const manager = await createUser(world, { id: 'manager', roles: ['manager'], managerId: director.id });
  const ar = await createUser(world, { id: 'ar', managerId: manager.id });
  const sr = await createUser(world, { id: 'sr', managerId: manager.id, locale: 'zh' });
  const fr = await createUser(world, { id: 'fr', managerId: manager.id });
  const ops = await createUser(world, { id: 'ops', roles: ['ops'] });
  // `sdt` is the sales decision team of every test org; `sdt-<ns>` is this org's alone.
  const sdt = await createUser(world, { id: 'sdt', roles: ['manager'], groups: ['sdt', `sdt-${world.ns}`] });
  return { director, manager, ar, sr, fr, ops, sdt };
}

/** The org's triangle as a deal's `triangle`. */
export function triangleOf(org: { ar: TestUser; sr: TestUser; fr: TestUser }) {
  return { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id };
}

export function loadDefaultDefinition(): ProcessDefinition {
  const text = fs.readFileSync(path.join(__dirname, '../../../processes/ltc-standard.yaml'), 'utf8');
  const result = validateProcessDefinition(parseYaml(text));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

/** Store a definition (its key suffixed with the world's ns unless `keepKey`). */
export async function applyDefinition(
  world: World,
  def: ProcessDefinition,
  opts: { keepKey?: boolean } = {},
): Promise<ProcessVersion> {
  const definition = opts.keepKey ? def : { ...def, key: `${def.key}-${world.ns}` };
  const result = validateProcessDefinition(definition);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return (await applyProcessDefinition(world.db, result.definition, 'test')).version;
}

/**
 * Poll until `fn` returns a truthy value (real clocks, real servers), up to a deadline: the one
 * waiting helper of the integration tests. Never sleep a fixed time or count polls; wait for the
 * state you need, and for "nothing more happens" use `untilQuiescent`.
 */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  stepMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Wait (up to a deadline) until these deals can do nothing more on their own: their workflows have
 * no activity pending and no workflow task in flight (so no local activity either: every write and
 * every delivery start has happened), no delivery of their outbox is still `pending`, and no delivery
 * workflow of their outbox is still running (it retries inside an activity, so a closed one has
 * nothing left to try; one that was never started had nothing to send). What a test sees then is
 * final until a timer of the deal fires, so "exactly once" checks follow this instead of a sleep.
 */
export async function untilQuiescent(world: World, dealIds: string[], timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    for (const id of dealIds) {
      const { raw } = await world.client.workflow.getHandle(workflowIdForDeal(id)).describe();
      if ((raw.pendingActivities?.length ?? 0) > 0 || raw.pendingWorkflowTask) return false;
    }
    const rows = await world.sql<{ id: string; pending: number }[]>`
      select n.id, count(d.notification_id) filter (where d.status = 'pending')::int as pending
      from notifications n left join notification_deliveries d on d.notification_id = n.id
      where n.deal_id in ${world.sql(dealIds)}
      group by n.id`;
    if (rows.some((r) => r.pending > 0)) return false;
    for (const r of rows) {
      try {
        const delivery = await world.client.workflow.getHandle(deliveryWorkflowId(r.id)).describe();
        if (delivery.status.name === 'RUNNING') return false;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return true;
  }, timeoutMs);
}
