/**
 * A throwaway stack for one run of the tests or the benchmark: a Temporal dev server on a free port
 * (unless `temporalAddress` is given) and a fresh, migrated database, either on `databaseUrl`'s
 * server or on an embedded Postgres cluster of its own. `stop()` removes all of it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, recreateDatabase, runMigrations } from '../../db/migrate';
import { freePort } from './ports';
import { removeEmbeddedPostgres, startEmbeddedPostgres } from './postgres';
import { findOrBuildTemporalCli, startDevServer } from './temporal';

export interface ThrowawayStackOptions {
  /** Names the database, the cluster folder and the log file, e.g. `test` or `bench`. */
  name: string;
  dataDir: string;
  temporalAddress?: string;
  databaseUrl?: string;
  temporalCliPath?: string;
  /** Persist the dev server on a WAL file (as `npm start` does) instead of in memory. */
  temporalOnFile?: boolean;
  /** Dynamic config of the dev server this stack starts (ignored with `temporalAddress`). */
  temporalDynamicConfig?: Record<string, unknown>;
  /** Leave the database on `databaseUrl`'s server in place afterwards (debugging). */
  keepDatabase?: boolean;
  log: (msg: string) => void;
}

export interface ThrowawayStack {
  temporalAddress: string;
  /** Whether this stack started the dev server (so its dynamic config applies). */
  startedTemporal: boolean;
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function startThrowawayStack(opts: ThrowawayStackOptions): Promise<ThrowawayStack> {
  const { log } = opts;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => log(`cleanup failed: ${err}`));
  };
  try {
    let temporalAddress = opts.temporalAddress;
    if (!temporalAddress) {
      const dbFile = opts.temporalOnFile
        ? path.join(os.tmpdir(), `ltc-${opts.name}-${process.pid}.db`)
        : undefined;
      const server = await startDevServer({
        cli: findOrBuildTemporalCli(log, opts.temporalCliPath),
        port: await freePort(),
        dbFile,
        logFile: path.join(opts.dataDir, `temporal-${opts.name}.log`),
        dynamicConfig: opts.temporalDynamicConfig,
        log,
      });
      cleanups.push(async () => {
        await server.stop();
        if (dbFile) for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
      });
      temporalAddress = server.address;
      log(`Temporal dev server (${dbFile ? 'on a WAL file' : 'in memory'}) at ${temporalAddress}`);
    }

    const dbName = `ltc_${opts.name}_${process.pid}`;
    let databaseUrl: string;
    if (opts.databaseUrl) {
      const u = new URL(opts.databaseUrl);
      u.pathname = `/${dbName}`;
      databaseUrl = u.toString();
      if (!opts.keepDatabase) cleanups.push(() => dropDatabase(databaseUrl));
    } else {
      // A cluster per run, so concurrent runs never share one; removed afterwards.
      const dir = path.join(opts.dataDir, `${opts.name}-postgres-${process.pid}`);
      const pg = await startEmbeddedPostgres({ dir, port: await freePort(), log });
      cleanups.push(async () => {
        await pg.stop().catch(() => {});
        removeEmbeddedPostgres(dir);
      });
      databaseUrl = pg.url(dbName);
      log('embedded Postgres started');
    }
    await recreateDatabase(databaseUrl);
    await runMigrations(databaseUrl);
    log(`fresh database ${dbName}, migrations applied`);
    return { temporalAddress, startedTemporal: !opts.temporalAddress, databaseUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
