/**
 * `npm run test:prod`: the production-shaped topology (scripts/stack/prod.ts) on throwaway
 * databases, then jest against it:
 * - the `prod` project (test/prod): the scale-out proofs on the real topology (two workers, two
 *   APIs behind the balancer, Temporal on Postgres);
 * - a subset of the `integration` project (PROD_SUBSET below), whose tests run their own worker
 *   and app in-process, here against the Postgres-backed Temporal server instead of the dev server.
 * Extra arguments go to jest (e.g. a test name pattern). Exits non-zero on any failure.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startProdStack } from './stack/prod';

const root = path.resolve(__dirname, '..');
const log = (msg: string) => console.log(`[test:prod] ${msg}`);

/** Integration files run against the production server: the deal lifecycle and its durability. */
export const PROD_SUBSET = [
  'test/integration/deal-flow',
  'test/integration/deal-durability',
  'test/integration/deal-resilience',
  'test/integration/deals-api',
  'test/integration/separation-of-duties',
  'test/integration/notifications.test',
  'test/integration/rate-limit',
];

/** The same Continue-As-New threshold as `npm test` (see scripts/test.ts). */
const SUGGEST_CONTINUE_AS_NEW_AT = 200;

async function main(): Promise<number> {
  const dataDir = path.resolve(root, process.env.DATA_DIR ?? '.data');
  fs.mkdirSync(dataDir, { recursive: true });
  const stack = await startProdStack({
    name: `ltc_testprod_${process.pid}`,
    dataDir,
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    throwaway: !process.env.KEEP_TEST_DB,
    freshDatabase: true,
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT },
    // A killed worker or API stays down long enough to show the other one carries on.
    restartDelayMs: 60_000,
    // The Temporal UI is part of the topology: test/prod/temporal-ui.test.ts reads it.
    ui: 'require',
    env: { RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '30', DB_POOL_MAX: '4' },
    log,
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stack.stop().finally(() => process.exit(130));
    });
  }
  try {
    const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    const extra = process.argv.slice(2);
    const patterns = extra.length ? extra : ['test/prod', ...PROD_SUBSET];
    // --selectProjects takes every value after it: the patterns go first.
    const args = [
      jestBin,
      '--runInBand',
      '--forceExit',
      ...patterns,
      '--selectProjects',
      'prod',
      'integration',
    ];
    return await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, args, {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: stack.temporalAddress,
          DATABASE_URL: stack.databaseUrl,
          LTC_PROD_STATE: stack.stateFile,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
          LTC_TEST: '1',
          LTC_TEST_SUGGEST_CAN_AT: String(SUGGEST_CONTINUE_AS_NEW_AT),
        },
      });
      child.on('exit', (c) => resolve(c ?? 1));
    });
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
