/**
 * A real Temporal server (not the dev server) persisted in Postgres, for the production-shaped
 * stack (`npm run stack:prod`, `npm run test:prod`, `npm run chaos`):
 *
 * - the server and its SQL tool are built from Go modules (`go install …/cmd/server@v1.29.1` and
 *   `…/cmd/tools/sql@v1.29.1`, about 3.5 minutes once, cached by Go afterwards);
 * - the schemas are set up by that SQL tool from the module cache
 *   (`schema/postgresql/v12/{temporal,visibility}/versioned`);
 * - the config is rendered from the module's `config/development-postgres12.yaml` (ports, database
 *   address and names changed); its dynamic config path is relative to the server's working
 *   directory, which is the folder the rendered config lives in.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { isTemporalHealthy, killOnExit, stopChild } from './temporal';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';

type Log = (msg: string) => void;

function goBin(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  if (fs.existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  throw new Error(
    `No Go toolchain: install Go (https://go.dev/dl), or build the Temporal server yourself and set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH (go install ${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION} ${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}).`,
  );
}

function goEnv(go: string, name: string): string {
  return execFileSync(go, ['env', name], { encoding: 'utf8' }).trim();
}

export interface TemporalBinaries {
  server: string;
  sql: string;
  /** The server module's source in the Go module cache (schemas, config templates). */
  moduleDir: string;
}

/**
 * The server and SQL tool binaries (TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH, else
 * `$(go env GOPATH)/bin/{server,sql}`, else built with `go install`), and the module's source.
 */
export function findOrBuildTemporalServer(log: Log): TemporalBinaries {
  const go = goBin();
  const gobin = goEnv(go, 'GOBIN') || path.join(goEnv(go, 'GOPATH').split(path.delimiter)[0], 'bin');
  const server = process.env.TEMPORAL_SERVER_PATH || path.join(gobin, 'server');
  const sql = process.env.TEMPORAL_SQL_TOOL_PATH || path.join(gobin, 'sql');
  const moduleDir = path.join(goEnv(go, 'GOMODCACHE'), `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`);
  if (!fs.existsSync(server) || !fs.existsSync(sql)) {
    log(
      `Building the Temporal server and its SQL tool (go install ${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION} …/cmd/tools/sql): about 3.5 minutes once on 2 cores.`,
    );
    const started = Date.now();
    execFileSync(
      go,
      [
        'install',
        `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
        `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
      ],
      { stdio: 'inherit' },
    );
    log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  if (!fs.existsSync(moduleDir)) {
    execFileSync(go, ['mod', 'download', `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], {
      stdio: 'inherit',
    });
  }
  for (const p of [server, sql, moduleDir]) {
    if (!fs.existsSync(p)) throw new Error(`${p} is missing after go install (GOBIN set elsewhere?)`);
  }
  return { server, sql, moduleDir };
}

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function pgTargetOf(url: string): PgTarget {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password || ''),
  };
}

/** Create (when missing) and migrate the persistence and visibility databases with the SQL tool. */
export function setupTemporalSchemas(
  bin: TemporalBinaries,
  pg: PgTarget,
  databases: { main: string; visibility: string },
  log: Log,
): void {
  const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user];
  if (pg.password) base.push('--pw', pg.password);
  const run = (args: string[]) =>
    execFileSync(bin.sql, [...base, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const started = Date.now();
  for (const [db, dir] of [
    [databases.main, 'temporal'],
    [databases.visibility, 'visibility'],
  ] as const) {
    let created = true;
    try {
      run(['--db', db, 'create-database']);
    } catch (err) {
      const out = `${(err as { stderr?: string }).stderr ?? ''}${(err as Error).message}`;
      if (!/already exists/i.test(out))
        throw new Error(`sql create-database ${db} failed: ${out.slice(-500)}`);
      created = false;
    }
    if (created) run(['--db', db, 'setup-schema', '-v', '0.0']);
    run([
      '--db',
      db,
      'update-schema',
      '-d',
      path.join(bin.moduleDir, 'schema', 'postgresql', 'v12', dir, 'versioned'),
    ]);
  }
  log(`Temporal schemas ready in ${databases.main}, ${databases.visibility} (${Date.now() - started} ms)`);
}

/** Drop the two databases (throwaway stacks). */
export function dropTemporalDatabases(
  bin: TemporalBinaries,
  pg: PgTarget,
  databases: { main: string; visibility: string },
): void {
  const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user];
  if (pg.password) base.push('--pw', pg.password);
  for (const db of [databases.main, databases.visibility]) {
    try {
      execFileSync(bin.sql, [...base, '--db', db, 'drop-database', '-f'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

export interface TemporalServerOptions {
  bin: TemporalBinaries;
  /** Where the server connects to Postgres (possibly a TCP proxy in front of it). */
  pg: PgTarget;
  databases: { main: string; visibility: string };
  /** The rendered config, the dynamic config and the log go here; the server runs in this folder. */
  dir: string;
  frontendPort: number;
  namespace: string;
  dynamicConfig?: Record<string, unknown>;
  log: Log;
}

export interface TemporalServer {
  address: string;
  /** Start the process again after `stop()` (same config, same ports). */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly process: ChildProcess | undefined;
}

const CONFIG_ENV = 'ltc-postgres12';

/** A free port below 32768: Temporal stores membership ports in a smallint column. */
export async function freeLowPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

/** Render the module's development-postgres12.yaml for our ports and databases. */
export async function renderServerConfig(opts: TemporalServerOptions): Promise<void> {
  const template = fs.readFileSync(
    path.join(opts.bin.moduleDir, 'config', 'development-postgres12.yaml'),
    'utf8',
  );
  // biome-ignore lint/suspicious/noExplicitAny: a YAML document edited in place
  const cfg = parseYaml(template) as any;
  cfg.log = { stdout: true, level: 'warn' };
  for (const [store, db] of [
    ['postgres-default', opts.databases.main],
    ['postgres-visibility', opts.databases.visibility],
  ] as const) {
    const sql = cfg.persistence.datastores[store].sql;
    sql.databaseName = db;
    sql.connectAddr = `${opts.pg.host}:${opts.pg.port}`;
    sql.user = opts.pg.user;
    sql.password = opts.pg.password;
  }
  // Few connections: each of the four services in this process opens its own pools, and the
  // machine's Postgres (max_connections 100) is shared: at most 4 × (5 + 2) = 28 here.
  for (const [store, n] of [
    ['postgres-default', 5],
    ['postgres-visibility', 2],
  ] as const) {
    cfg.persistence.datastores[store].sql.maxConns = n;
    cfg.persistence.datastores[store].sql.maxIdleConns = n;
  }
  const fp = opts.frontendPort;
  cfg.services.frontend.rpc = {
    ...cfg.services.frontend.rpc,
    grpcPort: fp,
    membershipPort: await freeLowPort(),
    httpPort: await freeLowPort(),
  };
  for (const svc of ['matching', 'history', 'worker']) {
    cfg.services[svc].rpc = {
      ...cfg.services[svc].rpc,
      grpcPort: await freeLowPort(),
      membershipPort: await freeLowPort(),
    };
  }
  cfg.global.pprof = { port: 0 };
  cfg.global.metrics.prometheus.listenAddress = `127.0.0.1:${await freeLowPort()}`;
  cfg.clusterMetadata.clusterInformation.active.rpcAddress = `127.0.0.1:${fp}`;
  cfg.archival = { history: { state: 'disabled' }, visibility: { state: 'disabled' } };
  cfg.namespaceDefaults = { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } };
  // Relative to the working directory the server starts in (opts.dir).
  cfg.dynamicConfigClient = { filepath: 'config/dynamicconfig/ltc.yaml', pollInterval: '10s' };
  fs.mkdirSync(path.join(opts.dir, 'config', 'dynamicconfig'), { recursive: true });
  fs.writeFileSync(path.join(opts.dir, 'config', `${CONFIG_ENV}.yaml`), stringifyYaml(cfg));
  const dynamic: Record<string, { value: unknown }[]> = {
    'frontend.enableUpdateWorkflowExecution': [{ value: true }],
    'frontend.enableExecuteMultiOperation': [{ value: true }],
    'limit.maxIDLength': [{ value: 255 }],
  };
  for (const [k, v] of Object.entries(opts.dynamicConfig ?? {})) dynamic[k] = [{ value: v }];
  fs.writeFileSync(path.join(opts.dir, 'config', 'dynamicconfig', 'ltc.yaml'), stringifyYaml(dynamic));
}

/** Register the namespace when missing, then the search attributes (once it is usable). */
export async function ensureNamespace(address: string, namespace: string, log: Log): Promise<void> {
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + 90_000;
  try {
    for (;;) {
      try {
        await registerIfMissing(connection, namespace, log);
        const added = await ensureSearchAttributes(connection, namespace);
        if (added.length) log(`search attributes registered: ${added.join(', ')}`);
        return;
      } catch (err) {
        // The history service may still be joining the ring, or the namespace cache refreshing.
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await connection.close();
  }
}

async function registerIfMissing(connection: Connection, namespace: string, log: Log): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return;
  } catch (err) {
    if (!/not found/i.test(String((err as Error).message))) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('3 days'),
    });
    log(`namespace ${namespace} registered`);
  } catch (err) {
    if (!/already/i.test(String((err as Error).message))) throw err;
  }
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServer> {
  await renderServerConfig(opts);
  const address = `127.0.0.1:${opts.frontendPort}`;
  const logFile = path.join(opts.dir, 'temporal-server.log');
  let child: ChildProcess | undefined;
  /** Stopped on purpose: not restarted. Otherwise a server that dies (e.g. its Postgres went away
   * for too long) is started again, as a process supervisor would. */
  let stopped = false;
  /** Counts starts, so a restart loop gives way to a start or stop from outside. */
  let generation = 0;
  /** As a process supervisor would: try again until it is up (its Postgres may be away a while). */
  const restartUntilUp = async () => {
    let mine = generation;
    for (let attempt = 1; ; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(2000 * 2 ** (attempt - 1), 15_000)));
      if (stopped || generation !== mine) return;
      try {
        await start();
        opts.log('the Temporal server is up again');
        return;
      } catch (err) {
        mine = generation;
        opts.log(`restarting the Temporal server failed (${err}); trying again`);
      }
    }
  };
  const start = async () => {
    stopped = false;
    generation++;
    const out = fs.openSync(logFile, 'a');
    const proc = spawn(
      opts.bin.server,
      ['--root', '.', '--config', 'config', '--env', CONFIG_ENV, '--allow-no-auth', 'start'],
      { cwd: opts.dir, stdio: ['ignore', out, out] },
    );
    child = proc;
    fs.closeSync(out);
    killOnExit(proc);
    let ready = false;
    proc.once('exit', (code, signal) => {
      if (stopped || !ready || child !== proc) return;
      opts.log(`the Temporal server exited (${code ?? signal}); starting it again (see ${logFile})`);
      void restartUntilUp();
    });
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`the Temporal server exited while starting; see ${logFile}`);
      }
      if (await isTemporalHealthy(address)) break;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`the Temporal server did not become healthy within 120 s; see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    ready = true;
  };
  await start();
  await ensureNamespace(address, opts.namespace, opts.log);
  return {
    address,
    start,
    stop: async () => {
      stopped = true;
      if (child) await stopChild(child, 15_000);
    },
    get process() {
      return child;
    },
  };
}
