/**
 * `npm run bench [-- --quick]`: every scale figure of the product against its baseline, in one run,
 * on a throwaway stack of its own (a Temporal dev server on a WAL file, as `npm start` runs it, and a
 * fresh database on DATABASE_URL's server or an embedded Postgres), with the worker and the API as
 * child processes like `npm start` runs them, on a task queue of their own.
 *
 *   1. sign-off latency over HTTP against a bare Update on a one-line workflow (serial);
 *   2. sign-off throughput with 100 deals in flight against bare Updates at the same concurrency;
 *   4. reads at scale: deals inserted in bulk, GET /deals with each filter, reports, /me/tasks;
 *   3. open deals at scale: deals waiting on sign-offs, deadlines spread out, escalation lag, RSS;
 *   5. start-up: `npm start` to ready on a stack of its own, and the worker's bundling time.
 *
 * Writes bench/results/<date>-<host>.json and .md, docs/perf-signoff.svg, and prints the table.
 * It measures and reports; it never asserts: the exit code only says whether it ran.
 * Counts (full / --quick): SERIAL 300/300, CONCURRENT 100/100, PER_WORKFLOW 9/5,
 * OPEN_DEALS 10000/200, READ_DEALS 100000/10000, READ_CALLS 100/20, FIRST_DUE_S 120/15, SPREAD_S 600/30,
 * WORKER_MAX_CACHED_WORKFLOWS 500/500; each can be set in the env.
 * SECTIONS=1,2,3,4,5 runs a subset; BENCH_KEEP_DB=1 leaves the bench database on DATABASE_URL's
 * server afterwards (ltc_bench_<pid>), to look into.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { applyProcessDefinition } from '../api/process-definitions/repo';
import { devEnv } from '../config/env';
import { createDb } from '../db/client';
import { validateProcessDefinition } from '../definitions/validate';
import type { ProcessDefinition } from '../domain/process/types';
import { call, root, spawnTs, summariseCpuProfile } from './bench/common';
import { runOpenDeals, SLA_PROCESSES, slaProcess } from './bench/open-deals';
import { createOrg } from './bench/org';
import { runReads } from './bench/reads';
import { type BenchResult, markdown, signoffSvg } from './bench/report';
import { runSignoffBench } from './bench/signoff';
import { runStartup } from './bench/startup';
import { freePort, waitForHttpOk } from './stack/ports';
import { findOrBuildTemporalCli, stopChild } from './stack/temporal';
import { startThrowawayStack } from './stack/throwaway';

const quick = process.argv.includes('--quick');
const num = (name: string, full: number, q: number) => Number(process.env[name] ?? (quick ? q : full));
const SERIAL = num('SERIAL', 300, 300);
const CONCURRENT = num('CONCURRENT', 100, 100);
const PER_WORKFLOW = num('PER_WORKFLOW', 9, 5);
const OPEN_DEALS = num('OPEN_DEALS', 10_000, 200);
const FIRST_DUE_S = num('FIRST_DUE_S', 120, 15);
const SPREAD_S = num('SPREAD_S', 600, 30);
const READ_DEALS = num('READ_DEALS', 100_000, 10_000);
const READ_CALLS = num('READ_CALLS', 100, 20);
/**
 * The worker's sticky cache in the bench: 500, not the product's default 1000. With 10,000 open deals
 * (FIRST_DUE_S=60, SPREAD_S=120, back to back at load 11-21) the worker peaked at 1,084 MB with 1000
 * and 778 MB with 500; due → escalated was no worse with 500 (p99 37 s against 63 s while deals were
 * still being created on the overloaded machine, 1.8 s against 4.2 s after). See README, Performance.
 */
const CACHE = num('WORKER_MAX_CACHED_WORKFLOWS', 500, 500);
/** BENCH_PROFILE=1: the worker and the API run with --cpu-prof; their hottest code is reported. */
const PROFILE = Boolean(process.env.BENCH_PROFILE);
const profileDir = path.join(root, 'bench', 'profiles', String(process.pid));
const SECTIONS = new Set((process.env.SECTIONS ?? '1,2,3,4,5').split(',').map((s) => s.trim()));
const log = (m: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** Three roles sign every stage (`rule: all`), twelve stages: room for 30 sign-offs per deal. */
function signoffProcess(): ProcessDefinition {
  return {
    key: 'bench-signoff',
    name: { en: 'Bench', zh: '基准' },
    stages: Array.from({ length: 12 }, (_, i) => ({
      key: `s${i}`,
      name: { en: `Stage ${i}`, zh: `阶段${i}` },
      approvers: ['AR', 'SR', 'FR'],
      rule: 'all' as const,
      sla: { within: '30d' },
      weights: { AR: 0.4, SR: 0.3, FR: 0.3 },
    })),
  };
}

function machine(cli: string | undefined, pgVersion: string): BenchResult['machine'] {
  let temporal = 'Temporal (external server)';
  if (cli) {
    try {
      temporal = execFileSync(cli, ['--version'], { encoding: 'utf8' })
        .trim()
        .replace(/^temporal version/, 'Temporal CLI');
    } catch {
      temporal = 'Temporal CLI (version unknown)';
    }
  }
  return {
    host: os.hostname(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAvg: os.loadavg(),
    node: process.version,
    temporal,
    postgres: pgVersion.split(' on ')[0],
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = devEnv();
  const dataDir = path.resolve(root, config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const errors: BenchResult['errors'] = [];
  const result: Partial<BenchResult> = { at: new Date().toISOString(), quick, errors };
  let cli: string | undefined;
  /** Writes what has been measured so far: a run stopped midway keeps its finished sections. */
  const save = (final: boolean) => {
    result.seconds = Math.round((Date.now() - started) / 1000);
    result.machine ??= machine(cli, 'Postgres (unknown)');
    const r = result as BenchResult;
    const md = markdown(r);
    const dir = path.join(root, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `${r.at.slice(0, 10)}-${r.machine.host}`);
    fs.writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
    fs.writeFileSync(`${base}.md`, `${md}\n`);
    const svg = signoffSvg(r);
    if (svg) fs.writeFileSync(path.join(root, 'docs', 'perf-signoff.svg'), `${svg}\n`);
    if (final) {
      console.log(`\n${md}`);
      log(
        `wrote ${path.relative(root, base)}.json and .md${svg ? ', docs/perf-signoff.svg' : ''} in ${r.seconds} s`,
      );
    }
  };
  const section = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      log(`section ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
      errors.push({ section: name, error: String(err instanceof Error ? err.message : err).slice(0, 500) });
    }
    save(false);
  };
  try {
    if (!config.TEMPORAL_ADDRESS) cli = findOrBuildTemporalCli(log, config.TEMPORAL_CLI_PATH);
    const stack = await startThrowawayStack({
      name: 'bench',
      dataDir,
      temporalAddress: config.TEMPORAL_ADDRESS,
      databaseUrl: config.DATABASE_URL,
      temporalCliPath: cli,
      temporalOnFile: true,
      keepDatabase: Boolean(process.env.BENCH_KEEP_DB),
      log,
    });
    cleanups.push(() => stack.stop());
    const handle = createDb(stack.databaseUrl, { max: 4 });
    cleanups.push(() => handle.close());
    const [{ version: pgVersion }] = await handle.sql<{ version: string }[]>`select version()`;
    result.machine = machine(cli, pgVersion);
    const mc = result.machine;
    log(
      `machine: ${mc.host}, ${mc.cores} cores (${mc.cpu}), ${mc.memoryGb} GB, load ${mc.loadAvg.map((x) => x.toFixed(1)).join(' ')}; ` +
        `Node ${mc.node}; ${mc.temporal}; ${mc.postgres}`,
    );

    const connection = await Connection.connect({ address: stack.temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `bench-${process.pid}`;

    // Company, processes, then the worker and the API as `npm start` runs them.
    const org = await createOrg(handle.db);
    await applyProcessDefinition(handle.db, signoffProcess(), 'bench');
    for (let k = 0; k < SLA_PROCESSES; k++)
      await applyProcessDefinition(
        handle.db,
        slaProcess(k, Math.round(FIRST_DUE_S + (k * SPREAD_S) / (SLA_PROCESSES - 1))) as ProcessDefinition,
        'bench',
      );
    const yaml = await import('yaml');
    const parsed = validateProcessDefinition(
      yaml.parse(fs.readFileSync(path.join(root, 'processes', 'ltc-standard.yaml'), 'utf8')),
      { knownGroups: ['sdt'] },
    );
    if (!parsed.ok) throw new Error('processes/ltc-standard.yaml is invalid');
    const ltc = await applyProcessDefinition(handle.db, parsed.definition, 'bench');

    const apiPort = await freePort();
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_MAX_CACHED_WORKFLOWS: String(CACHE),
      PORT: String(apiPort),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '10000000',
      RATE_LIMIT_READS_PER_MINUTE: '10000000',
    };
    log(`starting the worker (maxCachedWorkflows ${CACHE}) and the API`);
    const profArgs = (name: string) =>
      PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, name)] : [];
    const worker = await spawnTs('worker.ts', childEnv, {
      name: 'worker',
      ready: /worker ready/,
      log,
      args: profArgs('worker'),
    });
    cleanups.push(() => stopChild(worker.child, 30_000));
    log(`worker ready in ${(worker.readyMs / 1000).toFixed(1)} s (includes bundling the workflows)`);
    const api = await spawnTs('api/server.ts', childEnv, { name: 'api', log, args: profArgs('api') });
    cleanups.push(() => stopChild(api.child, 15_000));
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForHttpOk(`${apiUrl}/readyz`);
    const me = await call(apiUrl, org.tokens[org.ops], 'GET', '/me/tasks');
    if (me.status !== 200) throw new Error(`the API does not know the bench users: ${me.status}`);

    if (SECTIONS.has('1') || SECTIONS.has('2'))
      await section('1-2 sign-off', async () => {
        await handle.sql`create table if not exists bench_commit (n int)`;
        result.signoff = await runSignoffBench({
          client,
          apiUrl,
          taskQueue,
          org,
          processKey: 'bench-signoff',
          serial: SERIAL,
          concurrency: CONCURRENT,
          perWorkflow: PER_WORKFLOW,
          pgCommit: () => handle.sql`insert into bench_commit values (1)`,
          log,
        });
      });
    if (SECTIONS.has('4'))
      await section('4 reads', async () => {
        result.reads = await runReads({
          databaseUrl: stack.databaseUrl,
          sql: handle.sql,
          client,
          taskQueue,
          org,
          processVersion: ltc.version.version,
          deals: READ_DEALS,
          calls: READ_CALLS,
          log,
        });
      });
    if (SECTIONS.has('3'))
      await section('3 open deals', async () => {
        result.openDeals = await runOpenDeals({
          apiUrl,
          sql: handle.sql,
          org,
          workerPid: worker.child.pid as number,
          deals: OPEN_DEALS,
          firstDueS: FIRST_DUE_S,
          spreadS: SPREAD_S,
          maxCachedWorkflows: CACHE,
          log,
        });
      });
  } catch (err) {
    log(`set-up failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
    errors.push({ section: 'set-up', error: String(err instanceof Error ? err.message : err).slice(0, 500) });
  } finally {
    log('stopping the bench stack');
    for (const fn of cleanups.reverse()) await fn().catch((e) => log(`cleanup: ${e}`));
  }

  if (PROFILE) {
    result.profiles = {};
    for (const name of ['worker', 'api']) {
      const dir = path.join(profileDir, name);
      const file = fs.existsSync(dir)
        ? fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
        : undefined;
      if (file)
        result.profiles[name] = {
          file: path.relative(root, path.join(dir, file)),
          ...summariseCpuProfile(path.join(dir, file)),
        };
    }
  }

  if (SECTIONS.has('5'))
    await section('5 start-up', async () => {
      result.startup = await runStartup({ databaseUrl: config.DATABASE_URL, log, starts: 2 });
    });

  save(true);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
