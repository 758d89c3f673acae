/**
 * OpenTelemetry: one trace from the API request through the deal workflow to its activities, with
 * an in-memory exporter (production exports the same spans over OTLP, telemetry/tracing.ts).
 */

import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import request from 'supertest';
import { createTracing, type Tracing } from '../../telemetry/tracing';
import { createLtcWorker, type LtcWorker } from '../../worker';
import { soloStage } from './support/process';
import { applyDefinition, createOrg, eventually, replicaApp, startWorld, type World } from './support/world';

let world: World;
let tracing: Tracing;
let worker: LtcWorker;
let running: Promise<void>;
let native: NativeConnection;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  world = await startWorld();
  tracing = createTracing({ serviceName: 'ltc-test', exporter, simple: true });
  native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
  worker = await createLtcWorker({
    connection: native,
    namespace: 'default',
    taskQueue: `${world.taskQueue}-traced`,
    db: world.db,
    publicUrl: 'http://localhost:3000',
    interceptors: tracing.workerInterceptors,
    sinks: tracing.sinks,
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await tracing?.shutdown();
  await world?.stop();
});

test('one trace spans the API request, the deal workflow and its activities', async () => {
  const org = await createOrg(world);
  const { key } = await applyDefinition(world, {
    key: 'traced',
    name: { en: 'Traced', zh: '追踪' },
    stages: [soloStage('lead', { approvers: ['AR'] })],
  });
  const client = new Client({
    connection: world.client.connection,
    namespace: 'default',
    interceptors: tracing.clientInterceptors,
  });
  const app = replicaApp(world, { temporal: client, taskQueue: `${world.taskQueue}-traced` });
  const res = await request(app)
    .post('/deals')
    .set(org.manager.auth)
    .set('X-Request-Id', `trace-${world.ns}`)
    .send({
      title: 'Traced deal',
      account: { name: 'Acme' },
      value: { amount: 1000, currency: 'USD' },
      triangle: { AR: org.ar.id, SR: org.sr.id, FR: org.fr.id },
      process: { key },
    });
  expect(res.status).toBe(201);
  // The workflow's span ends with the run: sign the only stage so the deal completes.
  const signed = await request(app)
    .post(`/deals/${res.body.id}/signoffs`)
    .set(org.ar.auth)
    .send({ stage: 'lead', decision: 'approve' });
  expect(signed.status).toBe(200);

  const spans = await eventually(async () => {
    const all = exporter.getFinishedSpans();
    const root = all.find((s) => s.attributes['ltc.request_id'] === `trace-${world.ns}`);
    if (!root) return undefined;
    const inTrace = all.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    const names = inTrace.map((s) => s.name);
    const hasWorkflow = names.some((n) => n.startsWith('RunWorkflow:'));
    const hasActivity = names.some((n) => n.startsWith('RunActivity:'));
    return hasWorkflow && hasActivity ? { root, names } : undefined;
  }, 30_000).catch((err) => {
    const seen = exporter.getFinishedSpans().map((s) => `${s.name} ${s.spanContext().traceId}`);
    throw new Error(`${err}; spans: ${seen.join(' | ')}`);
  });
  expect(spans.root.name).toMatch(/^HTTP POST \/deals/);
  expect(spans.names).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^(StartWorkflow|UpdateWithStartWorkflow|StartWorkflowUpdate)/),
    ]),
  );
  expect(spans.names.some((n) => n.startsWith('RunWorkflow:deal'))).toBe(true);
  expect(spans.names.some((n) => n.startsWith('RunActivity:'))).toBe(true);
});
