/**
 * `npm test`: start what the tests need, run jest (unit and integration projects), tear down.
 * - Temporal: TEMPORAL_ADDRESS when set, otherwise an in-memory dev server on free ports.
 * - Postgres: a fresh database on DATABASE_URL's server when set, otherwise on the embedded Postgres.
 * Exits non-zero on any failure.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { devEnv } from '../config/env';
import { dropDatabase, recreateDatabase, runMigrations } from '../db/migrate';
import { freePort } from './stack/ports';
import { type EmbeddedPg, startEmbeddedPostgres } from './stack/postgres';
import { type DevServer, findOrBuildTemporalCli, startDevServer } from './stack/temporal';

const root = path.resolve(__dirname, '..');
const log = (msg: string) => console.log(`[test-stack] ${msg}`);

async function main(): Promise<number> {
  const config = devEnv();
  const dataDir = path.resolve(root, config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  let temporal: DevServer | undefined;
  let pg: EmbeddedPg | undefined;
  let testDbUrl: string | undefined;
  let pgDir: string | undefined;
  try {
    let address = config.TEMPORAL_ADDRESS;
    if (!address) {
      const cli = findOrBuildTemporalCli(log, config.TEMPORAL_CLI_PATH);
      temporal = await startDevServer({
        cli,
        port: await freePort(),
        logFile: path.join(dataDir, 'temporal-test.log'),
        log,
      });
      address = temporal.address;
      log(`Temporal dev server (in memory) at ${address}`);
    }

    const dbName = `ltc_test_${process.pid}`;
    if (config.DATABASE_URL) {
      const u = new URL(config.DATABASE_URL);
      u.pathname = `/${dbName}`;
      testDbUrl = u.toString();
    } else {
      // A cluster per run, so concurrent runs never share one; removed afterwards.
      pgDir = path.join(dataDir, `test-postgres-${process.pid}`);
      pg = await startEmbeddedPostgres({
        dir: pgDir,
        port: await freePort(),
        log,
      });
      testDbUrl = pg.url(dbName);
      log('embedded Postgres started');
    }
    await recreateDatabase(testDbUrl);
    await runMigrations(testDbUrl);
    log(`fresh database ${dbName}, migrations applied`);

    const resultsFile = path.join(dataDir, `jest-results-${process.pid}.json`);
    const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    const args = [jestBin, '--runInBand', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)];
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, args, {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: address,
          DATABASE_URL: testDbUrl,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
          LTC_TEST: '1',
        },
      });
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (fs.existsSync(resultsFile)) {
      const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
        numPendingTests: number;
      };
      fs.rmSync(resultsFile);
      console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
    }
    return code;
  } finally {
    if (testDbUrl && !pgDir && !process.env.KEEP_TEST_DB) {
      await dropDatabase(testDbUrl).catch((err) => log(`could not drop the test database: ${err}`));
    }
    await temporal?.stop();
    await pg?.stop().catch(() => {});
    if (pgDir) fs.rmSync(pgDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
