/**
 * A throwaway stack with the demo data, for `npm run screenshots` and the board measurement: a
 * Temporal dev server and a fresh database (throwaway.ts), the built web app, the worker and the API
 * as child processes on a free port and a task queue of their own, and the demo seed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { devEnv } from '../../config/env';
import { createDb, type DbHandle } from '../../db/client';
import { type SeedResult, seedDemo } from '../seed';
import { ensureWebBuild } from '../web-build';
import { freePort, waitForHttpOk } from './ports';
import { killOnExit, stopChild } from './temporal';
import { startThrowawayStack } from './throwaway';

const root = path.resolve(__dirname, '..', '..');

export interface DemoStack {
  apiUrl: string;
  db: DbHandle['db'];
  seed: SeedResult;
  stop(): Promise<void>;
}

export async function startDemoStack(
  name: string,
  log: (msg: string) => void,
  opts: { withDeals?: boolean } = {},
): Promise<DemoStack> {
  const config = devEnv();
  const dataDir = path.resolve(root, config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const stack = await startThrowawayStack({
    name,
    dataDir,
    temporalAddress: config.TEMPORAL_ADDRESS,
    databaseUrl: config.DATABASE_URL,
    temporalCliPath: config.TEMPORAL_CLI_PATH,
    log,
  });
  const children: ChildProcess[] = [];
  const tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), `ltc-${name}-`));
  let handle: DbHandle | undefined;
  const stop = async () => {
    for (const child of children.reverse()) await stopChild(child, 15_000).catch(() => {});
    await handle?.close();
    fs.rmSync(tokenDir, { recursive: true, force: true });
    await stack.stop();
  };
  try {
    await ensureWebBuild(log);
    const port = await freePort();
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_TASK_QUEUE: `${name}-${process.pid}`,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_READS_PER_MINUTE: '1000000',
    };
    for (const file of ['worker.ts', 'api/server.ts']) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file)], {
        cwd: root,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      killOnExit(child);
      children.push(child);
    }
    const apiUrl = `http://127.0.0.1:${port}`;
    await waitForHttpOk(`${apiUrl}/readyz`);
    handle = createDb(stack.databaseUrl, { max: 4 });
    const seed = await seedDemo({
      db: handle.db,
      dataDir: tokenDir,
      root,
      apiUrl,
      log,
      withDeals: opts.withDeals,
    });
    return { apiUrl, db: handle.db, seed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
