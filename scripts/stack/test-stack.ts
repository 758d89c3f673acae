/**
 * The stack `npm test` runs jest against (scripts/test.ts), shared with `npm run test:alone`
 * (scripts/test-alone.ts), which starts it once and runs jest once per test on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { devEnv } from '../../config/env';
import { startThrowawayStack, type ThrowawayStack } from './throwaway';

const root = path.resolve(__dirname, '..', '..');

/**
 * The test server suggests Continue-As-New once a run's history reaches this many events (Temporal's
 * default is 4096), so long deals in tests really continue as new when Temporal says so: the full
 * default LTC (about 430 events) continues once, while the other test deals (at most about 160
 * events) never do.
 */
const TEST_SUGGEST_CONTINUE_AS_NEW_AT = 200;

export interface TestStack {
  stack: ThrowawayStack;
  /** Where jest's result files go (DATA_DIR, git-ignored). */
  dataDir: string;
  /** The environment jest runs with on this stack. */
  env: NodeJS.ProcessEnv;
}

/**
 * Temporal: TEMPORAL_ADDRESS when set, otherwise an in-memory dev server on free ports.
 * Postgres: a fresh database on DATABASE_URL's server when set, otherwise on the embedded Postgres.
 */
export async function startTestStack(log: (msg: string) => void): Promise<TestStack> {
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
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    DATABASE_URL: stack.databaseUrl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    LTC_TEST: '1',
    // Only when the server is ours: a server at TEMPORAL_ADDRESS keeps its own limits.
    ...(stack.startedTemporal ? { LTC_TEST_SUGGEST_CAN_AT: String(TEST_SUGGEST_CONTINUE_AS_NEW_AT) } : {}),
  };
  return { stack, dataDir, env };
}
