/**
 * `npm run bench:signoff`: what a sign-off costs on top of a bare Temporal Update, measured in one
 * run against the same server and printed as ratios.
 *
 *   baseline  a bare Update round trip on a one-line workflow
 *   signoff   a sign-off Update on a deal workflow, answered once applied and projected to Postgres
 *   http      the same sign-off through POST /deals/:id/signoffs (express, auth, read-back)
 *
 * Serial: p50/p90/p99 over SERIAL calls (default 300). Throughput: CONCURRENT workflows (default 50)
 * each taking updates one after another. Temporal: TEMPORAL_ADDRESS or a dev server on a WAL file;
 * Postgres: DATABASE_URL's server or the embedded one. Every run uses its own task queue.
 * BENCH_DEBUG=1 also prints per-position latencies and one deal's history timings.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createApp } from '../api/app';
import { hashToken, newToken } from '../api/auth/tokens';
import { applyProcessDefinition } from '../api/process-definitions/repo';
import { devEnv } from '../config/env';
import { createDb } from '../db/client';
import { apiTokens, users } from '../db/schema';
import type { ProcessDefinition } from '../domain/process/types';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { createLtcWorker } from '../worker';
import { bareDone, bareUpdate } from '../workflows/bare';
import { signoffUpdate, workflowIdForDeal } from '../workflows/messages';
import { startThrowawayStack } from './stack/throwaway';

const SERIAL = Number(process.env.SERIAL ?? 300);
const CONCURRENT = Number(process.env.CONCURRENT ?? 50);
const PER_WORKFLOW = Number(process.env.PER_WORKFLOW ?? 9);
const root = path.resolve(__dirname, '..');
const log = (m: string) => console.log(`[bench] ${m}`);

interface Stats {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Three roles sign every stage (`rule: all`): two of three sign-offs leave the stage open. */
function benchProcess(stages: number): ProcessDefinition {
  return {
    key: `bench-${randomUUID().slice(0, 8)}`,
    name: { en: 'Bench', zh: '基准' },
    stages: Array.from({ length: stages }, (_, i) => ({
      key: `s${i}`,
      name: { en: `Stage ${i}`, zh: `阶段${i}` },
      approvers: ['AR', 'SR', 'FR'],
      rule: 'all' as const,
      sla: { within: '30d' },
      weights: { AR: 0.4, SR: 0.3, FR: 0.3 },
    })),
  };
}

async function main(): Promise<void> {
  const dataDir = path.resolve(root, devEnv().DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  try {
    Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
    const config = devEnv();
    const stack = await startThrowawayStack({
      name: 'bench',
      dataDir,
      temporalAddress: config.TEMPORAL_ADDRESS,
      databaseUrl: config.DATABASE_URL,
      temporalCliPath: config.TEMPORAL_CLI_PATH,
      // As `npm start` runs it, and as MEASURED.md measured it.
      temporalOnFile: true,
      log,
    });
    cleanups.push(() => stack.stop());
    const address = stack.temporalAddress;
    const dbUrl = stack.databaseUrl;
    const handle = createDb(dbUrl, { max: 20 });
    cleanups.push(() => handle.close());
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const native = await NativeConnection.connect({ address });
    cleanups.push(() => native.close());
    await ensureSearchAttributes(native, 'default');

    const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
    log('bundling workflows');
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const worker = await createLtcWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      db: handle.db,
      publicUrl: 'http://localhost',
      client,
      workflowBundle: bundle,
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });

    // People and process
    const triangle = { AR: 'bench-ar', SR: 'bench-sr', FR: 'bench-fr' };
    const tokens: Record<string, string> = {};
    for (const id of [...Object.values(triangle), 'bench-mgr']) {
      await handle.db.insert(users).values({
        id,
        name: id,
        email: `${id}@bench`,
        roles: id === 'bench-mgr' ? ['manager'] : ['member'],
        managerId: id === 'bench-mgr' ? null : 'bench-mgr',
      });
      const t = newToken();
      await handle.db.insert(apiTokens).values({ id: t.id, userId: id, tokenHash: hashToken(t.token) });
      tokens[id] = t.token;
    }
    const stagesPerDeal = Math.max(4, Math.ceil(PER_WORKFLOW / 3) + 1);
    const { version } = await applyProcessDefinition(
      handle.db,
      benchProcess(Math.max(stagesPerDeal, 12)),
      'bench',
    );
    const { app } = createApp({
      db: handle.db,
      temporal: client,
      logger: pino({ level: 'silent' }),
      taskQueue,
      namespace: 'default',
      publicUrl: 'http://localhost',
      rateLimitPerMinute: 10_000_000,
      rateLimitReadsPerMinute: 10_000_000,
    });
    const server = app.listen(0);
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    async function newDeal(): Promise<string> {
      const res = await fetch(`${base}/deals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens['bench-mgr']}` },
        body: JSON.stringify({
          title: 'bench',
          account: { name: 'bench' },
          value: { amount: 1, currency: 'USD' },
          triangle,
          process: { key: version.key, version: version.version },
        }),
      });
      if (res.status !== 201) throw new Error(`create deal: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    }
    const roles = ['AR', 'SR', 'FR'] as const;
    /** The i-th sign-off of a deal: stage i/3, role i%3. */
    const signArgs = (i: number) => ({
      stage: `s${Math.floor(i / 3)}`,
      role: roles[i % 3],
      decision: 'approve' as const,
      actorId: triangle[roles[i % 3]],
      actingFor: [triangle[roles[i % 3]]],
    });
    /** Wait (untimed) until the deal is at the stage of its i-th sign-off, as a person would. */
    async function atStageOf(dealId: string, i: number) {
      const want = `s${Math.floor(i / 3)}`;
      for (;;) {
        const rows = await handle.sql`select stage_key from deals where id = ${dealId}`;
        // Then let the workflow settle (its entry task completes); nobody signs within 100 ms.
        if (rows[0]?.stage_key === want) {
          if (i % 3 === 0 && i > 0) await new Promise((r) => setTimeout(r, 100));
          return;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    async function signViaUpdate(dealId: string, i: number) {
      const h = client.workflow.getHandle(workflowIdForDeal(dealId));
      for (;;) {
        try {
          return await h.executeUpdate(signoffUpdate, { args: [signArgs(i)] });
        } catch (err) {
          if (!/moving to its next stage|not s\d|at stage/.test(String((err as Error).cause ?? err)))
            throw err;
        }
      }
    }
    async function signViaHttp(dealId: string, i: number) {
      const a = signArgs(i);
      for (;;) {
        const res = await fetch(`${base}/deals/${dealId}/signoffs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[a.actorId]}` },
          body: JSON.stringify({ stage: a.stage, role: a.role, decision: 'approve' }),
        });
        if (res.status === 200) return;
        const body = await res.text();
        if (res.status !== 409 || !/stale/.test(body)) throw new Error(`sign-off ${res.status}: ${body}`);
      }
    }

    // Warm-up: bundle caches, connections, JIT.
    log('warming up');
    const warmBare = await client.workflow.start('bareWorkflow', {
      taskQueue,
      workflowId: `bare-warm-${taskQueue}`,
    });
    for (let i = 0; i < 30; i++) await warmBare.executeUpdate(bareUpdate, { args: [i] });
    await warmBare.executeUpdate(bareDone);
    const warmDeal = await newDeal();
    for (let i = 0; i < 6; i++) await signViaUpdate(warmDeal, i);

    // Serial
    log(`serial: ${SERIAL} calls each`);
    const bare = await client.workflow.start('bareWorkflow', { taskQueue, workflowId: `bare-${taskQueue}` });
    const bareSerial: number[] = [];
    for (let i = 0; i < SERIAL; i++)
      bareSerial.push(await timed(() => bare.executeUpdate(bareUpdate, { args: [i] })));
    await bare.executeUpdate(bareDone);

    const perDeal = (stagesPerDeal - 1) * 3;
    const signSerial: number[] = [];
    for (let done = 0; done < SERIAL; ) {
      const id = await newDeal();
      for (let i = 0; i < perDeal && done < SERIAL; i++, done++) {
        await atStageOf(id, i);
        signSerial.push(await timed(() => signViaUpdate(id, i)));
      }
    }
    if (process.env.BENCH_DEBUG) {
      const sid = await newDeal();
      const series: number[] = [];
      for (let i = 0; i < perDeal; i++) {
        await atStageOf(sid, i);
        series.push(Math.round(await timed(() => signViaUpdate(sid, i))));
      }
      log(`one deal, sign-off by sign-off (ms): ${series.join(' ')}`);
      const id = await newDeal();
      for (let i = 0; i < 6; i++) await signViaUpdate(id, i);
      const hist = await client.workflow.getHandle(workflowIdForDeal(id)).fetchHistory();
      let prev = 0;
      for (const e of hist.events ?? []) {
        const t = Number(e.eventTime?.seconds) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
        console.log(String(prev ? t - prev : 0).padStart(6), String(e.eventId).padStart(3), e.eventType);
        prev = t;
      }
    }
    const httpSerial: number[] = [];
    for (let done = 0; done < SERIAL; ) {
      const id = await newDeal();
      for (let i = 0; i < perDeal && done < SERIAL; i++, done++) {
        await atStageOf(id, i);
        httpSerial.push(await timed(() => signViaHttp(id, i)));
      }
    }

    // Throughput
    log(`throughput: ${CONCURRENT} workflows × ${PER_WORKFLOW} updates`);
    const bares = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, k) =>
        client.workflow.start('bareWorkflow', { taskQueue, workflowId: `bare-${taskQueue}-${k}` }),
      ),
    );
    let t0 = Date.now();
    await Promise.all(
      bares.map(async (h) => {
        for (let i = 0; i < PER_WORKFLOW; i++) await h.executeUpdate(bareUpdate, { args: [i] });
      }),
    );
    const bareRate = (CONCURRENT * PER_WORKFLOW) / ((Date.now() - t0) / 1000);
    await Promise.all(bares.map((h) => h.executeUpdate(bareDone)));

    const dealsA = await Promise.all(Array.from({ length: CONCURRENT }, () => newDeal()));
    t0 = Date.now();
    await Promise.all(
      dealsA.map(async (id) => {
        for (let i = 0; i < PER_WORKFLOW; i++) await signViaUpdate(id, i);
      }),
    );
    const signRate = (CONCURRENT * PER_WORKFLOW) / ((Date.now() - t0) / 1000);

    const dealsB = await Promise.all(Array.from({ length: CONCURRENT }, () => newDeal()));
    t0 = Date.now();
    await Promise.all(
      dealsB.map(async (id) => {
        for (let i = 0; i < PER_WORKFLOW; i++) await signViaHttp(id, i);
      }),
    );
    const httpRate = (CONCURRENT * PER_WORKFLOW) / ((Date.now() - t0) / 1000);

    if (process.env.BENCH_DEBUG) {
      for (let r = 0; r < 3; r++) {
        const xs = signSerial.filter((_, i) => i % 3 === r);
        log(
          `sign-off #${r + 1} of a stage: p50 ${stats(xs).p50.toFixed(1)} ms, p90 ${stats(xs).p90.toFixed(1)} ms`,
        );
      }
    }
    // For context: one durable single-row commit on the same Postgres (what the projection write
    // costs at least; on this machine's disk fsync dominates it).
    await handle.sql`create table if not exists bench_commit (n int)`;
    const commitSerial: number[] = [];
    for (let i = 0; i < SERIAL; i++) {
      commitSerial.push(await timed(() => handle.sql`insert into bench_commit values (${i})`));
    }
    const pgCommit = stats(commitSerial);
    const b = stats(bareSerial);
    const s = stats(signSerial);
    const h = stats(httpSerial);
    // The third sign-off of each stage decides it (and moves the deal on before it answers).
    const completing = (xs: number[]) => stats(xs.filter((_, i) => i % 3 === 2));
    const sc = completing(signSerial);
    const hc = completing(httpSerial);
    const row = (name: string, x: Stats, rate: number) =>
      `${name.padEnd(34)} ${x.p50.toFixed(1).padStart(7)} ${x.p90.toFixed(1).padStart(7)} ${x.p99.toFixed(1).padStart(7)} ${rate.toFixed(0).padStart(8)}/s`;
    const ratio = (name: string, x: Stats, rate: number) =>
      `${name.padEnd(34)} ${(x.p50 / b.p50).toFixed(2).padStart(7)} ${(x.p90 / b.p90).toFixed(2).padStart(7)} ${(x.p99 / b.p99).toFixed(2).padStart(7)} ${(rate / bareRate).toFixed(2).padStart(9)}`;
    console.log(
      [
        '',
        `Sign-off benchmark: ${SERIAL} serial calls; ${CONCURRENT} workflows × ${PER_WORKFLOW} for throughput`,
        `${''.padEnd(34)} ${'p50 ms'.padStart(7)} ${'p90 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'throughput'.padStart(10)}`,
        row('bare Update (baseline)', b, bareRate),
        row('sign-off Update (projected)', s, signRate),
        row('sign-off over HTTP', h, httpRate),
        row('  completing a stage, Update', sc, Number.NaN),
        row('  completing a stage, HTTP', hc, Number.NaN),
        `${'(Postgres commit, one row)'.padEnd(34)} ${pgCommit.p50.toFixed(1).padStart(7)} ${pgCommit.p90.toFixed(1).padStart(7)} ${pgCommit.p99.toFixed(1).padStart(7)}`,
        '',
        `ratios to the baseline${''.padEnd(12)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)} ${'throughput'.padStart(9)}`,
        ratio('sign-off Update (projected)', s, signRate),
        ratio('sign-off over HTTP', h, httpRate),
        ratio('  completing a stage, Update', sc, Number.NaN),
        ratio('  completing a stage, HTTP', hc, Number.NaN),
        '',
        `target: sign-off Update p50 ratio <= 1.5, p99 ratio <= 2: ${s.p50 / b.p50 <= 1.5 && s.p99 / b.p99 <= 2 ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch((e) => log(`cleanup: ${e}`));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
