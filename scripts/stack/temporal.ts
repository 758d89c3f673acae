import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { isPortOpen } from './ports';

/** The pinned CLI. Later tags carry a `replace` directive that `go install` refuses: check before upgrading. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

type Log = (msg: string) => void;

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function goBin(): string | undefined {
  return which('go') ?? (fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/**
 * Find a Temporal CLI: `temporal` on PATH, then `cliPath` (TEMPORAL_CLI_PATH), then
 * `$(go env GOPATH)/bin/temporal`, then build it with `go install` (about 5 minutes the first time on
 * 2 cores). Throws with install instructions when none of these works.
 */
export function findOrBuildTemporalCli(log: Log, cliPath: string | undefined): string {
  const onPath = which('temporal');
  if (onPath) return onPath;
  if (cliPath) {
    if (fs.existsSync(cliPath)) return cliPath;
    log(`TEMPORAL_CLI_PATH=${cliPath} does not exist; looking further`);
  }
  const go = goBin();
  if (!go) throw noCliError('No Temporal CLI found and no Go toolchain to build one.');
  let built: string;
  try {
    const gopath = execFileSync(go, ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    built = path.join(gopath, 'bin', 'temporal');
    if (fs.existsSync(built)) return built;
    log(
      `Building the Temporal CLI with \`go install ${TEMPORAL_CLI_MODULE}\`.\n` +
        '  This happens once per machine and takes about 5 minutes on 2 cores (a 250 MB binary, Server 1.29.1).',
    );
    const started = Date.now();
    execFileSync(go, ['install', TEMPORAL_CLI_MODULE], { stdio: 'inherit' });
    log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${built}`);
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
    throw noCliError(`No Temporal CLI found, and building one with Go failed (${why}).`);
  }
  if (fs.existsSync(built)) return built;
  throw noCliError(
    `No Temporal CLI found: \`go install\` finished, but ${built} does not exist (GOBIN set?).`,
  );
}

function noCliError(reason: string): Error {
  return new Error(
    `${reason}\n` +
      `  Install Go (https://go.dev/dl) and run: go install ${TEMPORAL_CLI_MODULE}\n` +
      '  or put `temporal` on PATH, or set TEMPORAL_CLI_PATH, or point TEMPORAL_ADDRESS at a running server.',
  );
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cli: string;
  port: number;
  uiPort?: number;
  /** Persist to this SQLite file (WAL). Omit for an in-memory server (tests). */
  dbFile?: string;
  namespace?: string;
  logFile?: string;
  log: Log;
  /** Dynamic config values (`--dynamic-config-value KEY=JSON`), e.g. a low Continue-As-New suggestion for tests. */
  dynamicConfig?: Record<string, unknown>;
  /**
   * Run it in its own process group, so a terminal's Ctrl-C does not reach it and the caller stops
   * it in its own order (the dev stack). Without it, it dies with the caller's process group.
   */
  detached?: boolean;
}

/** Start `temporal server start-dev` and wait until its frontend answers health checks. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (await isPortOpen(opts.port)) {
    throw new Error(
      `Port ${opts.port} is already in use: another Temporal server? Stop it, or set TEMPORAL_ADDRESS to use it.`,
    );
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--log-level',
    'warn',
  ];
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push(
      '--db-filename',
      opts.dbFile,
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=NORMAL',
    );
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');

  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.cli, args, { stdio: ['ignore', out, out], detached: opts.detached ?? false });
  if (opts.detached) killOnExit(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      throw new Error(`temporal server start-dev exited early${opts.logFile ? `; see ${opts.logFile}` : ''}`);
    }
    if (await isTemporalHealthy(address)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('Temporal dev server did not become healthy within 60 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : undefined,
    process: child,
    stop: () => stopChild(child, 10_000),
  };
}

export async function isTemporalHealthy(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    const res = await connection.healthService.check({
      service: 'temporal.api.workflowservice.v1.WorkflowService',
    });
    return res.status === 1; // SERVING
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** Kill the child if this process exits (even unexpectedly) while it still runs: for detached children. */
export function killOnExit(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}

/** SIGTERM, then SIGKILL after the grace period. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
