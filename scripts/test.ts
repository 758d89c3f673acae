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
import { startThrowawayStack } from './stack/throwaway';

const root = path.resolve(__dirname, '..');

/**
 * The test server suggests Continue-As-New once a run's history reaches this many events (Temporal's
 * default is 4096), so long deals in tests really continue as new when Temporal says so: the full
 * default LTC (about 430 events) continues once, while the other test deals (at most about 160
 * events) never do.
 */
const TEST_SUGGEST_CONTINUE_AS_NEW_AT = 200;

const log = (msg: string) => console.log(`[test-stack] ${msg}`);

async function main(): Promise<number> {
  const config = devEnv();
  const dataDir = path.resolve(root, config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const stack = await startThrowawayStack({
    name: 'test',
    dataDir,
    temporalAddress: config.TEMPORAL_ADDRESS,
    databaseUrl: config.DATABASE_URL,
    temporalCliPath: config.TEMPORAL_CLI_PATH,
    keepDatabase: Boolean(process.env.KEEP_TEST_DB),
    temporalDynamicConfig: { 'limit.historyCount.suggestContinueAsNew': TEST_SUGGEST_CONTINUE_AS_NEW_AT },
    log,
  });
  try {
    const resultsFile = path.join(dataDir, `jest-results-${process.pid}.json`);
    const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    const args = [jestBin, '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)];
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, args, {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: stack.temporalAddress,
          DATABASE_URL: stack.databaseUrl,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
          LTC_TEST: '1',
          // Only when the server is ours: a server at TEMPORAL_ADDRESS keeps its own limits.
          ...(stack.startedTemporal
            ? { LTC_TEST_SUGGEST_CAN_AT: String(TEST_SUGGEST_CONTINUE_AS_NEW_AT) }
            : {}),
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
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
