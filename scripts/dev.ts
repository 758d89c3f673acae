/**
 * `npm start`: the whole system on one machine, on embedded defaults.
 *   1. a Temporal dev server (TEMPORAL_ADDRESS to use another) persisted under .data/, with the UI;
 *   2. Postgres: DATABASE_URL, or an embedded real Postgres under .data/postgres;
 *   3. migrations and idempotent demo data (process, org, one deal) with printed tokens;
 *   4. the worker and the API as child processes, each restartable and scalable alone.
 * Ctrl-C stops everything; the worker drains gracefully. A second start keeps every deal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { env } from '../config/env';
import { createDb } from '../db/client';
import { ensureDatabase, runMigrations } from '../db/migrate';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { DEMO_USERS, seedDemo } from './seed';
import { isPortOpen } from './stack/ports';
import { type EmbeddedPg, startEmbeddedPostgres } from './stack/postgres';
import { type DevServer, findOrBuildTemporalCli, startDevServer, stopChild } from './stack/temporal';

const root = path.resolve(__dirname, '..');
const log = (msg: string) => console.log(`[ltc] ${msg}`);

async function main(): Promise<void> {
  const config = env();
  const dataDir = path.resolve(root, config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const children: ChildProcess[] = [];
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping...');
    // API first (no new work), then the worker drains its tasks, then the servers.
    for (const child of [...children].reverse()) await stopChild(child, 15_000);
    for (const fn of cleanups.reverse()) await fn().catch((err) => log(`cleanup failed: ${err}`));
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    // 1. Temporal
    let address = config.TEMPORAL_ADDRESS;
    let uiUrl = config.TEMPORAL_UI_URL;
    if (address) {
      log(`using the Temporal server at ${address}`);
    } else {
      const cli = findOrBuildTemporalCli(log);
      const port = Number(process.env.TEMPORAL_PORT ?? 7233);
      const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
      log(`starting the Temporal dev server (${cli})`);
      const server: DevServer = await startDevServer({
        cli,
        port,
        uiPort,
        dbFile: path.join(dataDir, 'temporal.db'),
        logFile: path.join(dataDir, 'temporal.log'),
        log,
      });
      cleanups.push(() => server.stop());
      address = server.address;
      uiUrl = uiUrl ?? server.uiUrl;
    }

    // 2. Postgres
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const port = Number(process.env.EMBEDDED_PG_PORT ?? 5433);
      log(`starting the embedded Postgres on port ${port} (data in ${path.join(dataDir, 'postgres')})`);
      const pg: EmbeddedPg = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port, log });
      cleanups.push(() => pg.stop());
      databaseUrl = pg.url('ltc');
    }
    await ensureDatabase(databaseUrl);

    // 3. Migrations, search attributes, demo data
    await runMigrations(databaseUrl);
    log('migrations applied');
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const handle = createDb(databaseUrl, { max: 2 });
    cleanups.push(() => handle.close());

    // 4. Worker and API
    const childEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      DATABASE_URL: databaseUrl,
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
    };
    const launch = (name: string, file: string) => {
      // `node --import tsx` (not the tsx CLI wrapper), so signals reach the process itself.
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file)], {
        cwd: root,
        env: childEnv,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('exit', (code, signal) => {
        if (!stopping) {
          log(`${name} exited (${code ?? signal}); stopping`);
          void shutdown(1);
        }
      });
      children.push(child);
      return child;
    };
    if (await isPortOpen(config.PORT)) {
      throw new Error(`Port ${config.PORT} is already in use: stop what uses it or set PORT.`);
    }
    launch('worker', 'worker.ts');
    launch('api', 'api/server.ts');

    const seeded = await seedDemo({
      db: handle.db,
      temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      namespace: config.TEMPORAL_NAMESPACE,
      dataDir,
      root,
    });
    await waitForReady(`http://127.0.0.1:${config.PORT}/readyz`);

    const api = `http://localhost:${config.PORT}`;
    const lines = [
      '',
      'Iron Triangle LTC is ready.',
      `  API          ${api}`,
      `  API docs     ${api}/docs`,
      `  Temporal UI  ${uiUrl ?? '(not started: using TEMPORAL_ADDRESS)'}`,
      `  Postgres     ${databaseUrl.replace(/\/\/[^@]*@/, '//***@')}`,
      '',
      `Demo deal: ${api}/deals/${seeded.demoDealId}  (process ltc-standard v${seeded.processVersion})`,
      'Demo users and their API tokens (Authorization: Bearer <token>):',
      ...DEMO_USERS.map((u) => `  ${u.id.padEnd(9)} ${u.roles.join(',').padEnd(8)} ${seeded.tokens[u.id]}`),
      '',
      `Try: curl -H "Authorization: Bearer ${seeded.tokens['ar-li']}" ${api}/me/tasks`,
      'Press Ctrl-C to stop.',
      '',
    ];
    console.log(lines.join('\n'));
  } catch (err) {
    console.error(`[ltc] ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
  }
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the API did not become ready at ${url}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

void main();
