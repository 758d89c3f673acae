/**
 * The Temporal Web UI for the production-shaped stack (`npm run stack:prod`).
 *
 * The CLI's dev server embeds the UI (github.com/temporalio/ui-server/v2) but only ever points it at
 * its own frontend. So the stack builds the UI server module itself, at the version the CLI pins
 * (v2.42.1 for CLI v1.5.1), with `go install` into the project's cache (`.data/cache/go-bin/…`,
 * never $GOPATH/bin, whose `server` is Temporal's), renders its config (a `base.yaml` in a config
 * folder of its own: the Temporal address, host 127.0.0.1, port, default namespace), starts it and
 * checks that it answers: `/api/v1/namespaces` lists the stack's namespace.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { killOnExit, stopChild } from './temporal';

/** The ui-server version github.com/temporalio/cli v1.5.1 pins in its go.mod. */
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

const root = path.resolve(__dirname, '..', '..');
type Log = (msg: string) => void;

function goBin(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  return fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/**
 * The UI server binary: TEMPORAL_UI_SERVER_PATH, else the project's cached build, else built now
 * (`go install …/cmd/server@v2.42.1` with GOBIN in the cache; about 2 minutes once on 2 cores, its
 * modules are the CLI's). Throws with the reason when it cannot be had.
 */
export function findOrBuildTemporalUi(log: Log): string {
  const given = process.env.TEMPORAL_UI_SERVER_PATH;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`TEMPORAL_UI_SERVER_PATH=${given} does not exist`);
    return given;
  }
  const gobin = path.join(
    root,
    '.data',
    'cache',
    'go-bin',
    `temporal-ui-server@${TEMPORAL_UI_SERVER_VERSION}`,
  );
  const bin = path.join(gobin, 'server');
  if (fs.existsSync(bin)) return bin;
  const go = goBin();
  if (!go)
    throw new Error('no Go toolchain to build the Temporal UI server (or set TEMPORAL_UI_SERVER_PATH)');
  log(
    `Building the Temporal UI server (go install ${UI_MODULE}/cmd/server@${TEMPORAL_UI_SERVER_VERSION} into ${path.relative(root, gobin)}): about 2 minutes once.`,
  );
  const started = Date.now();
  execFileSync(go, ['install', `${UI_MODULE}/cmd/server@${TEMPORAL_UI_SERVER_VERSION}`], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: gobin },
  });
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing after go install`);
  return bin;
}

export interface TemporalUiOptions {
  bin: string;
  /** The Temporal frontend (host:port). */
  temporalAddress: string;
  namespace: string;
  port: number;
  /** Its config and log go here. */
  dir: string;
  log: Log;
}

export interface TemporalUi {
  url: string;
  stop(): Promise<void>;
}

/** Render the UI server's config (its whole `base.yaml`; no templating, no environment). */
export function renderUiConfig(
  opts: Pick<TemporalUiOptions, 'temporalAddress' | 'namespace' | 'port' | 'dir'>,
) {
  const origins = [`http://127.0.0.1:${opts.port}`, `http://localhost:${opts.port}`];
  const cfg = {
    temporalGrpcAddress: opts.temporalAddress,
    host: '127.0.0.1',
    port: opts.port,
    publicPath: '',
    enableUi: true,
    defaultNamespace: opts.namespace,
    showTemporalSystemNamespace: false,
    notifyOnNewVersion: false,
    refreshInterval: '0s',
    // Plain HTTP on loopback: the CSRF cookie cannot be Secure here.
    cors: { cookieInsecure: true, unsafeAllowAllOrigins: false, allowOrigins: origins },
    auth: { enabled: false },
    hideLogs: false,
  };
  const configDir = path.join(opts.dir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  fs.writeFileSync(path.join(configDir, 'base.yaml'), stringifyYaml(cfg));
  return configDir;
}

/** Start the UI server and wait until its API lists `namespace` (so it reaches the frontend). */
export async function startTemporalUi(opts: TemporalUiOptions): Promise<TemporalUi> {
  renderUiConfig(opts);
  const logFile = path.join(opts.dir, 'temporal-ui.log');
  const out = fs.openSync(logFile, 'a');
  // `--env` names a file that does not exist, so only base.yaml is read.
  const child: ChildProcess = spawn(
    opts.bin,
    ['--root', '.', '--config', 'config', '--env', 'ltc', 'start'],
    {
      cwd: opts.dir,
      stdio: ['ignore', out, out],
    },
  );
  fs.closeSync(out);
  killOnExit(child);
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the Temporal UI server exited while starting; see ${logFile}`);
    }
    if (await listsNamespace(url, opts.namespace)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Temporal UI did not list namespace ${opts.namespace} within 90 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, stop: () => stopChild(child, 5_000) };
}

/** Whether the UI server's API answers and lists the namespace (it asks the Temporal frontend). */
export async function listsNamespace(url: string, namespace: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/v1/namespaces`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { namespaces?: { namespaceInfo?: { name?: string } }[] };
    return (body.namespaces ?? []).some((n) => n.namespaceInfo?.name === namespace);
  } catch {
    return false;
  }
}
