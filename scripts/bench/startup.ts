/**
 * Section 5 of `npm run bench`: `npm start` as a user runs it, on a data directory and ports of its
 * own (and a database of its own on DATABASE_URL's server, or an embedded Postgres): the time until
 * `/readyz` answers and until "Iron Triangle LTC is ready." is printed, on a first start (fresh
 * data: migrations, demo seed) and on a second start (data kept). Also the worker's workflow
 * bundling time, measured alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { dropDatabase } from '../../db/migrate';
import { freePort } from '../stack/ports';
import { root, sleep, timed } from './common';

export interface StartupFigures {
  bundleMs: number;
  starts: { kind: 'first' | 'second'; readyzMs: number | null; readyLineMs: number | null }[];
}

async function startOnce(
  env: NodeJS.ProcessEnv,
  port: number,
  log: (m: string) => void,
): Promise<{ readyzMs: number | null; readyLineMs: number | null }> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(root, 'scripts', 'bootstrap.mjs'), 'start'],
    {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let readyLineMs: number | null = null;
  let readyzMs: number | null = null;
  let exited = false;
  let tail = '';
  const onData = (d: Buffer) => {
    const s = d.toString();
    tail = (tail + s).slice(-2000);
    if (readyLineMs === null && /Iron Triangle LTC is ready\./.test(tail))
      readyLineMs = performance.now() - t0;
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<void>((r) =>
    child.on('exit', () => {
      exited = true;
      r();
    }),
  );
  const deadline = Date.now() + 240_000;
  while (!exited && Date.now() < deadline && (readyzMs === null || readyLineMs === null)) {
    if (readyzMs === null) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.ok) readyzMs = performance.now() - t0;
      } catch {
        // not listening yet
      }
    }
    await sleep(100);
  }
  if (readyLineMs === null) log(`startup: no ready line; last output: ${tail.slice(-600)}`);
  child.kill('SIGINT');
  await Promise.race([exit, sleep(60_000)]);
  if (!exited) child.kill('SIGKILL');
  return {
    readyzMs: readyzMs === null ? null : Math.round(readyzMs),
    readyLineMs: readyLineMs === null ? null : Math.round(readyLineMs),
  };
}

export async function runStartup(ctx: {
  databaseUrl?: string;
  log: (m: string) => void;
  starts: number;
}): Promise<StartupFigures> {
  const { log } = ctx;
  log('startup: bundling the workflows alone');
  const bundleMs = await timed(() =>
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: new DefaultLogger('WARN'),
    }),
  );
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-bench-start-'));
  let dbUrl: string | undefined;
  if (ctx.databaseUrl) {
    const u = new URL(ctx.databaseUrl);
    u.pathname = `/ltc_benchstart_${process.pid}`;
    dbUrl = u.toString();
  }
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: `bench-start-${process.pid}`,
    LOG_LEVEL: 'warn',
  };
  delete env.TEMPORAL_ADDRESS;
  if (dbUrl) env.DATABASE_URL = dbUrl;
  else delete env.DATABASE_URL;
  const starts: StartupFigures['starts'] = [];
  try {
    for (let i = 0; i < ctx.starts; i++) {
      const kind = i === 0 ? 'first' : 'second';
      log(`startup: npm start (${kind} start)`);
      starts.push({ kind, ...(await startOnce(env, port, log)) });
      log(`startup: ${JSON.stringify(starts[starts.length - 1])}`);
    }
  } finally {
    if (dbUrl) await dropDatabase(dbUrl).catch((e) => log(`startup: dropping ${dbUrl}: ${e}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { bundleMs: Math.round(bundleMs), starts };
}
