/**
 * `npm run fuzz`: at least 10,000 generated requests (FUZZ_REQUESTS, default 10000; FUZZ_SEED to
 * replay a run; FUZZ_CONCURRENCY requests in flight, default 8) across every route of the route registry, against the real API on a throwaway
 * stack: a Temporal dev server and a fresh database, started as `npm test` starts them
 * (scripts/stack/throwaway.ts), with the workflows bundled by the integration tests' global set-up
 * and the app, worker and users of their `World`. The engine and its checks are in
 * test/fuzz/engine.ts. Prints the requests by route and status; exits 1 on any violation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { devEnv } from '../config/env';
import { formatReport, runFuzz } from '../test/fuzz/engine';
import globalSetup from '../test/integration/global-setup';
import globalTeardown from '../test/integration/global-teardown';
import { startWorld } from '../test/integration/support/world';
import { startThrowawayStack } from './stack/throwaway';

const root = path.resolve(__dirname, '..');
const log = (msg: string) => console.log(`[fuzz] ${msg}`);

async function main(): Promise<number> {
  const requests = Number(process.env.FUZZ_REQUESTS ?? 10_000);
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  if (!Number.isInteger(requests) || requests < 1)
    throw new Error('FUZZ_REQUESTS must be a positive integer');
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error('FUZZ_SEED must be an integer');
  const concurrency = Number(process.env.FUZZ_CONCURRENCY ?? 8);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error('FUZZ_CONCURRENCY must be a positive integer');
  const config = devEnv();
  const dataDir = path.resolve(root, config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const stack = await startThrowawayStack({
    name: 'fuzz',
    dataDir,
    temporalAddress: config.TEMPORAL_ADDRESS,
    databaseUrl: config.DATABASE_URL,
    temporalCliPath: config.TEMPORAL_CLI_PATH,
    log,
  });
  try {
    process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
    process.env.DATABASE_URL = stack.databaseUrl;
    await globalSetup();
    const world = await startWorld({ workerLogLevel: 'ERROR' });
    try {
      const report = await runFuzz(world, { requests, seed, concurrency, log });
      console.log(`\n${formatReport(report, world.routes)}\n`);
      console.log(
        `${report.requests} requests over ${world.routes.length} routes in ${(report.ms / 1000).toFixed(1)} s ` +
          `(seed ${report.seed}); ${report.dealsChecked} deals checked for a hold and a resume`,
      );
      if (report.violations.length) {
        console.log(`\n${report.violations.length} violation(s):`);
        for (const v of report.violations.slice(0, 100)) console.log(`  - ${v}`);
        return 1;
      }
      console.log(
        '0 violations: no 5xx, every 4xx a problem naming its field, no deal changed by anyone not allowed to',
      );
      return 0;
    } finally {
      await world.stop();
      await globalTeardown();
    }
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
