/**
 * Notification deliveries run on a task queue of their own (`<queue>-notify`), so a backlog of them
 * never delays a deal: here the deliveries' worker is not running at all while a deal goes through
 * both its stages; its deliveries wait on their queue, and are sent once that worker runs.
 * (A chaos run on one shared queue saw a deal's workflow task wait 5 minutes behind 960 delivery
 * tasks, and its sign-off refused meanwhile.)
 */

import { NativeConnection } from '@temporalio/worker';
import { deliveryTaskQueue, deliveryWorkflowId } from '../../domain/notifications/delivery';
import { createLtcWorker, type LtcWorker } from '../../worker';
import {
  createDeal,
  createTeam,
  notifyProcess,
  outbox,
  type SmtpReceiver,
  signoff,
  startSmtpReceiver,
} from './support/notification-receivers';
import { applyDefinition, eventually, replicaApp, startWorld, type World } from './support/world';

let world: World;
let smtp: SmtpReceiver;
let native: NativeConnection;
let worker: LtcWorker;
const runs: Promise<void>[] = [];

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  world = await startWorld({ smtpUrl: smtp.url });
  native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
}, 120_000);

afterAll(async () => {
  // A worker that never ran still holds the connection: run it and stop it at once.
  if (worker?.deliveries.getState() === 'INITIALIZED')
    runs.push(worker.deliveries.runUntil(Promise.resolve()));
  worker?.shutdown();
  await Promise.allSettled(runs);
  await native?.close();
  await world?.stop();
  await smtp?.close();
});

test('a deal goes through its stages while its deliveries wait on their own queue; they are sent once their worker runs', async () => {
  const queue = `${world.taskQueue}-own`;
  worker = await createLtcWorker({
    connection: native,
    namespace: 'default',
    taskQueue: queue,
    db: world.db,
    publicUrl: 'http://localhost:3000',
    client: world.client,
    workflowBundle: { codePath: process.env.LTC_WORKFLOW_BUNDLE as string },
    smtpUrl: smtp.url,
  });
  // Only the deals' worker runs.
  runs.push(worker.deals.run());
  const replica: World = { ...world, app: replicaApp(world, { taskQueue: queue }) };
  const team = await createTeam(world, `dq-${world.ns}`);
  const { key } = await applyDefinition(world, notifyProcess);

  const deal = await createDeal(replica, team, key);
  await signoff(replica, team.ar, deal.id, 'qualify');
  await signoff(replica, team.sr, deal.id, 'qualify');
  const closed = await signoff(replica, team.fr, deal.id, 'close');
  expect(closed.status).toBe('completed');

  // Each notification's delivery workflow was started on the deliveries' queue, and waits there.
  const rows = await outbox(world, deal.id);
  expect(rows.length).toBeGreaterThan(0);
  const errors = new Set<string>();
  const waiting = await eventually(async () => {
    const described = await Promise.all(
      rows.map((r) =>
        world.client.workflow
          .getHandle(deliveryWorkflowId(r.id))
          .describe()
          .catch((err) => {
            errors.add(String(err));
            return undefined;
          }),
      ),
    );
    if (described.every((d) => d !== undefined)) return described;
    const missing = rows.filter((_, i) => described[i] === undefined).map((r) => `${r.kind} → ${r.user_id}`);
    const { raw } = await world.client.workflow.getHandle(`deal-${deal.id}`).describe();
    const pending = (raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} attempt ${a.attempt} ${a.lastFailure?.message ?? ''}`,
    );
    const history = await world.client.workflow.getHandle(`deal-${deal.id}`).fetchHistory();
    const acts = (history.events ?? [])
      .map(
        (e) =>
          e.activityTaskScheduledEventAttributes?.activityType?.name ??
          (e.markerRecordedEventAttributes ? 'marker' : undefined),
      )
      .filter(Boolean);
    throw new Error(
      `history activities ${acts.join(',')}; no delivery workflow yet for ${missing.join(', ')}; the deal's pending activities: ${pending.join('; ') || 'none'}; errors ${[...errors].join(' | ')}`,
    );
  }, 60_000);
  for (const d of waiting) {
    expect(d?.taskQueue).toBe(deliveryTaskQueue(queue));
    expect(d?.status.name).toBe('RUNNING');
    expect(d?.raw.pendingWorkflowTask).toBeTruthy();
  }
  expect(smtp.mails.filter((m) => m.headers.get('x-ltc-deal') === deal.id)).toHaveLength(0);

  // The deliveries' worker starts: every one finishes, and the mail arrives.
  runs.push(worker.deliveries.run());
  await eventually(async () => {
    const statuses = await Promise.all(
      rows.map(
        async (r) => (await world.client.workflow.getHandle(deliveryWorkflowId(r.id)).describe()).status.name,
      ),
    );
    return statuses.every((s) => s === 'COMPLETED');
  }, 60_000);
  const mailed = smtp.mails.filter((m) => m.headers.get('x-ltc-deal') === deal.id);
  expect(mailed.length).toBeGreaterThan(0);
});
