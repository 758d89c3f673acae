/**
 * The production-shaped topology on one machine, without Docker (`npm run stack:prod`,
 * `npm run test:prod`, `npm run chaos`):
 *
 *   clients ─▶ balancer (one port) ─▶ API ×2 ─┐
 *                                             ├─▶ Temporal server (Postgres-backed) ─┐
 *                         worker ×2 ──────────┘                                      ├─▶ TCP proxy ─▶ Postgres
 *                         API ×2, worker ×2 ─────────────────────────────────────────┘
 *
 * Every process is a child of this one, restarted when it dies (unless the stack is stopping).
 * Everything reaches Postgres through a TCP proxy that the chaos run can cut.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dropDatabase, ensureDatabase, recreateDatabase, runMigrations } from '../../db/migrate';
import { buildWorkflowBundle } from '../build-workflows';
import { type Balancer, startBalancer } from './balancer';
import { freePort, waitForHttpOk } from './ports';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { killOnExit, stopChild } from './temporal';
import {
  dropTemporalDatabases,
  findOrBuildTemporalServer,
  freeLowPort,
  type PgTarget,
  pgTargetOf,
  setupTemporalSchemas,
  startTemporalServer,
  type TemporalServer,
} from './temporal-server';
import { findOrBuildTemporalUi, startTemporalUi } from './temporal-ui';

const root = path.resolve(__dirname, '..', '..');
type Log = (msg: string) => void;

export interface ProdStackOptions {
  /** Names the databases (`<name>`, `<name>_temporal`, `<name>_temporal_visibility`) and folders. */
  name: string;
  dataDir: string;
  /** Any database URL on the Postgres server to use (the databases above are created there). */
  databaseUrl: string;
  /** Public port of the balancer (0: a free one). */
  port?: number;
  temporalPort?: number;
  workers?: number;
  apis?: number;
  /** Drop the databases on stop (test and chaos runs). */
  throwaway?: boolean;
  /** Recreate the application database at start (fresh runs). */
  freshDatabase?: boolean;
  /** Extra environment for the API and worker processes (rate limits, retry budgets …). */
  env?: Record<string, string>;
  dynamicConfig?: Record<string, unknown>;
  /** Default `ltc-<name>`. */
  taskQueue?: string;
  /** How long a dead API or worker stays down before the supervisor starts it again (default 1 s). */
  restartDelayMs?: number;
  /**
   * The Temporal Web UI (scripts/stack/temporal-ui.ts) on 127.0.0.1: `off` (default), `try` (a UI that
   * cannot be built or started is logged with the reason, the stack goes on), `require`.
   */
  ui?: 'off' | 'try' | 'require';
  /** The UI's port (0 or absent: a free one). */
  uiPort?: number;
  log: Log;
}

export type Role = 'worker' | 'api';

export interface Member {
  role: Role;
  index: number;
  /** The API's own port (APIs only). */
  port?: number;
  child?: ChildProcess;
  pid?: number;
  restarts: number;
}

export interface ProdStack {
  url: string;
  temporalAddress: string;
  /** The application database, through the proxy. */
  databaseUrl: string;
  taskQueue: string;
  namespace: string;
  pgProxy: TcpProxy;
  temporal: TemporalServer;
  /** The Temporal Web UI, when started (`ui`). */
  uiUrl?: string;
  members: Member[];
  /** Written at every (re)start of a member: pids and ports, for tests in other processes. */
  stateFile: string;
  /** SIGKILL a member; the supervisor starts it again after `restartDelayMs`. */
  kill(role: Role, index: number): number | undefined;
  /** Stop restarting this member (until `revive`), then SIGKILL it. */
  hold(role: Role, index: number): void;
  revive(role: Role, index: number): void;
  waitReady(): Promise<void>;
  stop(): Promise<void>;
}

export async function startProdStack(opts: ProdStackOptions): Promise<ProdStack> {
  const { log } = opts;
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const fn of cleanups.reverse())
      await Promise.resolve(fn()).catch((err) => log(`cleanup failed: ${err}`));
  };
  try {
    const bin = findOrBuildTemporalServer(log);
    const real = pgTargetOf(opts.databaseUrl);
    const databases = { main: `${opts.name}_temporal`, visibility: `${opts.name}_temporal_visibility` };
    setupTemporalSchemas(bin, real, databases, log);
    if (opts.throwaway) cleanups.push(() => dropTemporalDatabases(bin, real, databases));

    const pgProxy = await startTcpProxy({ host: real.host, port: real.port });
    cleanups.push(() => pgProxy.stop());
    const viaProxy: PgTarget = { ...real, host: '127.0.0.1', port: pgProxy.port };
    const appUrl = new URL(opts.databaseUrl);
    appUrl.hostname = '127.0.0.1';
    appUrl.port = String(pgProxy.port);
    appUrl.pathname = `/${opts.name}`;
    const databaseUrl = appUrl.toString();
    if (opts.freshDatabase) await recreateDatabase(databaseUrl);
    else await ensureDatabase(databaseUrl);
    await runMigrations(databaseUrl);
    if (opts.throwaway) {
      cleanups.push(async () => {
        const direct = new URL(opts.databaseUrl);
        direct.pathname = `/${opts.name}`;
        await dropDatabase(direct.toString());
      });
    }

    const dir = path.join(opts.dataDir, `${opts.name}-temporal`);
    const temporal = await startTemporalServer({
      bin,
      pg: viaProxy,
      databases,
      dir,
      frontendPort: opts.temporalPort ?? (await freeLowPort()),
      namespace: 'default',
      dynamicConfig: opts.dynamicConfig,
      log,
    });
    cleanups.push(() => temporal.stop());
    log(`Temporal server (on Postgres ${databases.main}) at ${temporal.address}`);

    let uiUrl: string | undefined;
    if (opts.ui && opts.ui !== 'off') {
      try {
        const ui = await startTemporalUi({
          bin: findOrBuildTemporalUi(log),
          temporalAddress: temporal.address,
          namespace: 'default',
          port: opts.uiPort || (await freePort()),
          dir: path.join(opts.dataDir, `${opts.name}-temporal-ui`),
          log,
        });
        cleanups.push(() => ui.stop());
        uiUrl = ui.url;
        log(`Temporal UI at ${ui.url} (it lists namespace default)`);
      } catch (err) {
        if (opts.ui === 'require') throw err;
        log(`no Temporal UI: ${err instanceof Error ? err.message : err}`);
      }
    }

    const bundle = path.join(opts.dataDir, `${opts.name}-workflow-bundle.js`);
    await buildWorkflowBundle(bundle);

    const taskQueue = opts.taskQueue ?? `ltc-${opts.name}`;
    const logDir = path.join(opts.dataDir, `${opts.name}-logs`);
    fs.mkdirSync(logDir, { recursive: true });
    const stateFile = path.join(opts.dataDir, `${opts.name}-state.json`);
    const members: Member[] = [];
    for (let i = 0; i < (opts.workers ?? 2); i++) members.push({ role: 'worker', index: i, restarts: 0 });
    for (let i = 0; i < (opts.apis ?? 2); i++)
      members.push({ role: 'api', index: i, restarts: 0, port: await freePort() });
    let stopping = false;
    const held = new Set<Member>();
    const writeState = () => {
      const state = {
        url: `http://127.0.0.1:${balancer?.port}`,
        temporalAddress: temporal.address,
        uiUrl,
        databaseUrl,
        taskQueue,
        members: members.map((m) => ({
          role: m.role,
          index: m.index,
          pid: m.pid,
          port: m.port,
          restarts: m.restarts,
        })),
      };
      fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2));
      fs.renameSync(`${stateFile}.tmp`, stateFile);
    };
    const baseEnv: Record<string, string> = {
      ...(process.env as Record<string, string>),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: databaseUrl,
      WORKFLOW_BUNDLE_PATH: bundle,
      TRUST_PROXY: 'loopback',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...opts.env,
    };
    const spawnMember = (m: Member) => {
      const file = m.role === 'worker' ? 'worker.ts' : path.join('api', 'server.ts');
      const out = fs.openSync(path.join(logDir, `${m.role}-${m.index}.log`), 'a');
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file)], {
        cwd: root,
        env: { ...baseEnv, ...(m.port ? { PORT: String(m.port) } : {}) },
        stdio: ['ignore', out, out],
      });
      fs.closeSync(out);
      killOnExit(child);
      m.child = child;
      m.pid = child.pid;
      writeState();
      child.once('exit', () => {
        if (m.child === child) m.child = undefined;
        if (stopping || held.has(m)) return;
        m.restarts++;
        setTimeout(() => {
          if (!stopping && !held.has(m) && !m.child) spawnMember(m);
        }, opts.restartDelayMs ?? 1000);
      });
    };
    let balancer: Balancer | undefined;
    cleanups.push(async () => {
      stopping = true;
      await Promise.all(members.map((m) => (m.child ? stopChild(m.child, 20_000) : undefined)));
    });
    for (const m of members) spawnMember(m);
    balancer = await startBalancer(
      () => members.filter((m) => m.role === 'api' && m.child).map((m) => ({ port: m.port as number })),
      opts.port ?? 0,
    );
    const bal = balancer;
    cleanups.push(() => bal.stop());
    writeState();
    const url = `http://127.0.0.1:${balancer.port}`;
    const find = (role: Role, index: number) => {
      const m = members.find((x) => x.role === role && x.index === index);
      if (!m) throw new Error(`no ${role} ${index}`);
      return m;
    };
    const waitReady = async () => {
      for (const m of members.filter((x) => x.role === 'api'))
        await waitForHttpOk(`http://127.0.0.1:${m.port}/readyz`, 180_000);
      // Workers are ready once they log so.
      const deadline = Date.now() + 180_000;
      for (const m of members.filter((x) => x.role === 'worker')) {
        const file = path.join(logDir, `${m.role}-${m.index}.log`);
        while (!(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"worker ready"'))) {
          if (Date.now() > deadline) throw new Error(`worker ${m.index} not ready; see ${file}`);
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    };
    await waitReady();
    log(`${opts.workers ?? 2} workers and ${opts.apis ?? 2} APIs ready behind ${url}`);
    return {
      url,
      temporalAddress: temporal.address,
      databaseUrl,
      taskQueue,
      namespace: 'default',
      pgProxy,
      temporal,
      uiUrl,
      members,
      stateFile,
      kill: (role, index) => {
        const m = find(role, index);
        const pid = m.child?.pid;
        m.child?.kill('SIGKILL');
        return pid;
      },
      hold: (role, index) => {
        const m = find(role, index);
        held.add(m);
        m.child?.kill('SIGKILL');
      },
      revive: (role, index) => {
        const m = find(role, index);
        held.delete(m);
        if (!m.child) spawnMember(m);
      },
      waitReady,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
