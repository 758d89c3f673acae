/**
 * Sections 1 and 2 of `npm run bench`: a sign-off against a bare Update on the same server.
 *
 *   bare     a bare Update round trip on a one-line workflow (workflows/bare.ts): Temporal's own cost
 *   update   the sign-off Update sent straight to the deal workflow (workflow logic + durable write)
 *   http     POST /deals/:id/signoffs on the API process (auth, visibility, the Update, the answer)
 *
 * Serial: SERIAL calls of each, spread round-robin over 10 workflows (nobody signs the same deal
 * twice within milliseconds), the three kinds interleaved. Throughput: CONCURRENT workflows each taking
 * PER updates in a row, twice per kind, the kinds alternating.
 */
import type { Client } from '@temporalio/client';
import { bareDone, bareUpdate } from '../../workflows/bare';
import { signoffUpdate, workflowIdForDeal } from '../../workflows/messages';
import { call, pool, type Stats, stats, timed } from './common';
import type { Org } from './org';

export interface SignoffFigures {
  serial: {
    calls: number;
    bare: Stats;
    update: Stats;
    http: Stats;
    httpCompleting: Stats;
    updateCompleting: Stats;
  };
  /** Completing sign-offs whose answer named the next stage, of all completing sign-offs over HTTP. */
  completingAnsweredNextStage: { ok: number; of: number };
  throughput: { concurrency: number; perWorkflow: number; bare: number; update: number; http: number };
  /** 409 answers retried (stage races); expected 0 with seamless stage boundaries. */
  retried409: number;
  /**
   * 503 answers retried with the same Idempotency-Key (the API stops waiting for the workflow after
   * 25 s and the command carries on; the retry joins it): only on an overloaded machine. The call's
   * time runs until the sign-off is answered 200, retries included.
   */
  retried503?: number;
  dealCreation: { deals: number; perSecond: number; latency: Stats };
  pgCommit: Stats;
  /**
   * Per Update, from the workflows' histories: `worker` the workflow task's time in the worker (its
   * code, local activity and write included: started → completed), `queue` the server handing the
   * task out (scheduled → started). The rest of a round trip is Temporal's frontend and history.
   */
  split: { bare: { worker: Stats; queue: Stats }; update: { worker: Stats; queue: Stats } };
}

const WFT_SCHEDULED = 5;
const WFT_STARTED = 6;
const WFT_COMPLETED = 7;
const UPDATE_ACCEPTED = 41;

/** Worker and queue time of the workflow task that accepted each Update of these workflows. */
async function updateTaskTimes(client: Client, workflowIds: string[]) {
  const worker: number[] = [];
  const queue: number[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const ms = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
      Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    let scheduled = 0;
    let started = 0;
    let completed = 0;
    for (const e of history.events ?? []) {
      const type = Number(e.eventType);
      if (type === WFT_SCHEDULED) scheduled = ms(e);
      else if (type === WFT_STARTED) started = ms(e);
      else if (type === WFT_COMPLETED) completed = ms(e);
      else if (type === UPDATE_ACCEPTED && completed >= started && started >= scheduled && scheduled > 0) {
        worker.push(completed - started);
        queue.push(started - scheduled);
        scheduled = 0;
      }
    }
  }
  return { worker: stats(worker), queue: stats(queue) };
}

const ROLES = ['AR', 'SR', 'FR'] as const;

export async function runSignoffBench(ctx: {
  client: Client;
  apiUrl: string;
  taskQueue: string;
  org: Org;
  processKey: string;
  serial: number;
  concurrency: number;
  perWorkflow: number;
  pgCommit: () => Promise<unknown>;
  log: (m: string) => void;
}): Promise<SignoffFigures> {
  const { client, apiUrl, org, log } = ctx;
  const triangle = { AR: org.members[0], SR: org.members[1], FR: org.members[2] };
  const creator = org.directors[0];
  let retried409 = 0;
  let retried503 = 0;
  const creationLatency: number[] = [];

  async function newDeal(i: number): Promise<string> {
    let res: Awaited<ReturnType<typeof call>> | undefined;
    creationLatency.push(
      await timed(async () => {
        res = await call(apiUrl, org.tokens[creator], 'POST', '/deals', {
          title: `Bench sign-off deal ${i}`,
          account: { name: `Bench account ${i % 50}` },
          value: { amount: 100_000 + i, currency: 'USD' },
          triangle,
          process: { key: ctx.processKey },
        });
      }),
    );
    if (res?.status !== 201) throw new Error(`create deal: ${res?.status} ${res?.text}`);
    return (res.json as { id: string }).id;
  }
  const createDeals = async (n: number): Promise<string[]> => {
    const ids: string[] = new Array(n);
    await pool(
      Array.from({ length: n }, (_, i) => i),
      8,
      async (i) => {
        ids[i] = await newDeal(i);
      },
    );
    return ids;
  };
  /** The i-th sign-off of a deal: stage s<i/3>, role i%3. */
  const signArgs = (i: number) => {
    const role = ROLES[i % 3];
    return { stage: `s${Math.floor(i / 3)}`, role, decision: 'approve' as const, actorId: triangle[role] };
  };
  async function signViaUpdate(dealId: string, i: number) {
    const a = signArgs(i);
    await client.workflow
      .getHandle(workflowIdForDeal(dealId))
      .executeUpdate(signoffUpdate, { args: [{ ...a, actingFor: [a.actorId] }] });
  }
  let nextOk = 0;
  let completing = 0;
  async function signViaHttp(dealId: string, i: number) {
    const a = signArgs(i);
    // As a client should: a retry after a 503 sends the same key, and joins the command under way.
    const headers = { 'idempotency-key': `bench-${dealId}-${i}` };
    for (;;) {
      const res = await call(
        apiUrl,
        org.tokens[a.actorId],
        'POST',
        `/deals/${dealId}/signoffs`,
        { stage: a.stage, role: a.role, decision: 'approve' },
        headers,
      );
      if (res.status === 200) {
        if (i % 3 === 2) {
          completing++;
          const stage = (res.json as { stage?: { key?: string } }).stage;
          if (stage?.key === `s${Math.floor(i / 3) + 1}`) nextOk++;
        }
        return;
      }
      if (res.status === 503) {
        retried503++;
        continue;
      }
      if (res.status !== 409) throw new Error(`sign-off ${res.status}: ${res.text}`);
      retried409++;
    }
  }
  const startBare = (id: string) =>
    client.workflow.start('bareWorkflow', { taskQueue: ctx.taskQueue, workflowId: id });

  // Warm-up: connections, caches, JIT on every path.
  log('sign-off: warming up');
  const warmBare = await startBare(`bare-warm-${ctx.taskQueue}`);
  for (let i = 0; i < 30; i++) await warmBare.executeUpdate(bareUpdate, { args: [i] });
  await warmBare.executeUpdate(bareDone);
  const [w1, w2] = await createDeals(2);
  for (let i = 0; i < 6; i++) await signViaUpdate(w1, i);
  for (let i = 0; i < 6; i++) await signViaHttp(w2, i);
  nextOk = 0;
  completing = 0;

  // 1. Serial, round-robin over 10 workflows of each kind, the three kinds interleaved call by
  // call so that a shift in the machine's load (it is shared) falls on all three alike.
  const W = 10;
  const rounds = Math.ceil(ctx.serial / W);
  log(`sign-off: serial, ${ctx.serial} calls of each kind, interleaved`);
  const bares = await Promise.all(
    Array.from({ length: W }, (_, k) => startBare(`bare-${ctx.taskQueue}-s${k}`)),
  );
  const updDeals = await createDeals(W);
  const httpDeals = await createDeals(W);
  const bareSerial: number[] = [];
  const updSerial: number[] = [];
  const updCompleting: number[] = [];
  const httpSerial: number[] = [];
  const httpCompleting: number[] = [];
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < W; k++) {
      bareSerial.push(await timed(() => bares[k].executeUpdate(bareUpdate, { args: [r] })));
      const u = await timed(() => signViaUpdate(updDeals[k], r));
      updSerial.push(u);
      if (r % 3 === 2) updCompleting.push(u);
      const h = await timed(() => signViaHttp(httpDeals[k], r));
      httpSerial.push(h);
      if (r % 3 === 2) httpCompleting.push(h);
    }
  await Promise.all(bares.map((h) => h.executeUpdate(bareDone)));

  const split = {
    bare: await updateTaskTimes(
      client,
      bares.map((h) => h.workflowId),
    ),
    update: await updateTaskTimes(client, updDeals.map(workflowIdForDeal)),
  };

  // 2. Throughput with CONCURRENT workflows in flight.
  const C = ctx.concurrency;
  const P = ctx.perWorkflow;
  log(`sign-off: throughput, ${C} workflows in flight × ${P} updates`);
  // Two rounds of each, alternating (bare, Update, HTTP, bare, Update, HTTP): the rate of a kind is
  // its calls over its time summed across both rounds.
  const rate = { bare: [0, 0], update: [0, 0], http: [0, 0] };
  const createdStart = performance.now();
  const dealsU = await createDeals(C);
  const dealsH = await createDeals(C);
  const creationRate = (2 * C) / ((performance.now() - createdStart) / 1000);
  for (let round = 0; round < 2; round++) {
    const many = await Promise.all(
      Array.from({ length: C }, (_, k) => startBare(`bare-${ctx.taskQueue}-c${round}-${k}`)),
    );
    let t0 = performance.now();
    await Promise.all(
      many.map(async (h) => {
        for (let i = 0; i < P; i++) await h.executeUpdate(bareUpdate, { args: [i] });
      }),
    );
    rate.bare[0] += C * P;
    rate.bare[1] += performance.now() - t0;
    await Promise.all(many.map((h) => h.executeUpdate(bareDone)));

    t0 = performance.now();
    await Promise.all(
      dealsU.map(async (id) => {
        for (let i = round * P; i < (round + 1) * P; i++) await signViaUpdate(id, i);
      }),
    );
    rate.update[0] += C * P;
    rate.update[1] += performance.now() - t0;

    t0 = performance.now();
    await Promise.all(
      dealsH.map(async (id) => {
        for (let i = round * P; i < (round + 1) * P; i++) await signViaHttp(id, i);
      }),
    );
    rate.http[0] += C * P;
    rate.http[1] += performance.now() - t0;
  }
  const perSecond = ([n, ms]: number[]) => n / (ms / 1000);
  const bareRate = perSecond(rate.bare);
  const updRate = perSecond(rate.update);
  const httpRate = perSecond(rate.http);

  // For context: one durable single-row commit on the same Postgres.
  const commit: number[] = [];
  for (let i = 0; i < 100; i++) commit.push(await timed(ctx.pgCommit));

  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    serial: {
      calls: rounds * W,
      bare: stats(bareSerial),
      update: stats(updSerial),
      http: stats(httpSerial),
      updateCompleting: stats(updCompleting),
      httpCompleting: stats(httpCompleting),
    },
    completingAnsweredNextStage: { ok: nextOk, of: completing },
    throughput: {
      concurrency: C,
      perWorkflow: 2 * P,
      bare: round(bareRate),
      update: round(updRate),
      http: round(httpRate),
    },
    retried409,
    retried503,
    dealCreation: {
      deals: creationLatency.length,
      perSecond: round(creationRate),
      latency: stats(creationLatency),
    },
    pgCommit: stats(commit),
    split,
  };
}
