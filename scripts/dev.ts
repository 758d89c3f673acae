/**
 * `npm start`: the whole system on one machine, on embedded defaults.
 *   1. a Temporal dev server (TEMPORAL_ADDRESS to use another) persisted under .data/, with the UI;
 *   2. Postgres: DATABASE_URL, or an embedded real Postgres under .data/postgres;
 *   3. migrations, search attributes;
 *   4. the web app, built when missing or changed (scripts/web-build.ts);
 *   5. the worker and the API as child processes, each restartable and scalable alone;
 *   6. idempotent demo data (process, two teams, demo deals made through the API on the first
 *      start) and a sign-in link per demo user.
 * Ctrl-C stops everything; the worker drains gracefully. A second start keeps every deal.
 *
 * The servers, the worker and the API run in process groups of their own, so a terminal's Ctrl-C
 * reaches only this script, which stops them in order: the API (no new work), the worker (drains its
 * tasks), the Temporal dev server, then Postgres. If this script dies, they are killed with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devEnv } from '../config/env';
import { createDb } from '../db/client';
import { ensureDatabase, runMigrations } from '../db/migrate';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { DEMO_USERS, seedDemo } from './seed';
import { isPortOpen, waitForHttpOk } from './stack/ports';
import { type EmbeddedPg, startEmbeddedPostgres } from './stack/postgres';
import {
  type DevServer,
  findOrBuildTemporalCli,
  killOnExit,
  startDevServer,
  stopChild,
} from './stack/temporal';
import { ensureWebBuild } from './web-build';

const root = path.resolve(__dirname, '..');
const log = (msg: string) => console.log(`[ltc] ${msg}`);

async function main(): Promise<void> {
  const config = devEnv();
  const dataDir = path.resolve(root, config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  // What runs; `shutdown` stops it in a fixed order.
  let temporalServer: DevServer | undefined;
  let pg: EmbeddedPg | undefined;
  const closers: (() => Promise<void>)[] = [];
  const children = new Map<'worker' | 'api', ChildProcess>();
  let stopping = false;

  const step = async (what: string, fn: () => Promise<void>) => {
    log(`stopping ${what}`);
    await fn().catch((err) => log(`stopping ${what} failed: ${err}`));
  };
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping...');
    // The API first (no new work), then the worker drains its tasks, then the servers they use.
    const api = children.get('api');
    if (api) await step('the API', () => stopChild(api, 15_000));
    const worker = children.get('worker');
    if (worker) await step('the worker', () => stopChild(worker, 30_000));
    for (const close of closers.reverse())
      await close().catch((err) => log(`closing a connection failed: ${err}`));
    if (temporalServer) await step('the Temporal dev server', temporalServer.stop);
    if (pg) await step('Postgres', pg.stop);
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // The children are not in the terminal's process group: closing the terminal must stop them too.
  process.on('SIGHUP', () => void shutdown(0));

  try {
    // 1. Temporal
    let address = config.TEMPORAL_ADDRESS;
    let uiUrl = config.TEMPORAL_UI_URL;
    if (address) {
      log(`using the Temporal server at ${address}`);
    } else {
      const cli = findOrBuildTemporalCli(log, config.TEMPORAL_CLI_PATH);
      log(`starting the Temporal dev server (${cli})`);
      temporalServer = await startDevServer({
        cli,
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: path.join(dataDir, 'temporal.db'),
        logFile: path.join(dataDir, 'temporal.log'),
        log,
        detached: true,
      });
      address = temporalServer.address;
      uiUrl = uiUrl ?? temporalServer.uiUrl;
    }

    // 2. Postgres
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const port = config.EMBEDDED_PG_PORT;
      log(`starting the embedded Postgres on port ${port} (data in ${path.join(dataDir, 'postgres')})`);
      pg = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port, log, detached: true });
      databaseUrl = pg.url('ltc');
    }
    await ensureDatabase(databaseUrl);

    // 3. Migrations, search attributes, demo data
    await runMigrations(databaseUrl);
    log('migrations applied');
    const connection = await Connection.connect({ address });
    closers.push(() => connection.close());
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    const handle = createDb(databaseUrl, { max: 2 });
    closers.push(() => handle.close());

    // 4. Worker and API
    const childEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      DATABASE_URL: databaseUrl,
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
    };
    const launch = (name: 'worker' | 'api', file: string) => {
      // `node --import tsx` (not the tsx CLI wrapper), so signals reach the process itself. Its own
      // process group: only our ordered shutdown stops it, never the terminal's Ctrl-C directly.
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file)], {
        cwd: root,
        env: childEnv,
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      });
      killOnExit(child);
      child.on('exit', (code, signal) => {
        if (!stopping) {
          log(`${name} exited (${code ?? signal}); stopping`);
          void shutdown(1);
        }
      });
      children.set(name, child);
      return child;
    };
    if (await isPortOpen(config.PORT)) {
      throw new Error(`Port ${config.PORT} is already in use: stop what uses it or set PORT.`);
    }
    // The web app the API serves under /app/: built only when missing or its sources changed.
    await ensureWebBuild(log);
    launch('worker', 'worker.ts');
    launch('api', 'api/server.ts');

    await waitForHttpOk(`http://127.0.0.1:${config.PORT}/readyz`);
    const seeded = await seedDemo({
      db: handle.db,
      dataDir,
      root,
      apiUrl: `http://127.0.0.1:${config.PORT}`,
      log,
    });

    const api = `http://localhost:${config.PORT}`;
    const lines = [
      '',
      'Iron Triangle LTC is ready.',
      `  Web app      ${api}/app/`,
      `  API          ${api}`,
      `  API docs     ${api}/docs`,
      `  Temporal UI  ${uiUrl ?? '(not started: using TEMPORAL_ADDRESS)'}`,
      `  Postgres     ${databaseUrl.replace(/\/\/[^@]*@/, '//***@')}`,
      '',
      `Demo deal: ${api}/app/deals/${seeded.demoDealId}  (process ltc-standard v${seeded.processVersion})`,
      'Sign in as a demo user (the link keeps the token in that browser tab only):',
      ...DEMO_USERS.map(
        (u) => `  ${u.id.padEnd(9)} ${u.roles.join(',').padEnd(8)} ${api}/app/#token=${seeded.tokens[u.id]}`,
      ),
      '',
      'API tokens are the same (Authorization: Bearer <token>), e.g.',
      `  curl -H "Authorization: Bearer ${seeded.tokens['ar-li']}" ${api}/me/tasks`,
      'Press Ctrl-C to stop.',
      '',
    ];
    console.log(lines.join('\n'));
  } catch (err) {
    console.error(`[ltc] ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
  }
}

void main();
