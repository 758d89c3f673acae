/**
 * `npm test`: start what the tests need, run jest (unit and integration projects), tear down.
 * - Temporal: TEMPORAL_ADDRESS when set, otherwise an in-memory dev server on free ports.
 * - Postgres: a fresh database on DATABASE_URL's server when set, otherwise on the embedded Postgres.
 * Exits non-zero on any failure.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestStack } from './stack/test-stack';

const root = path.resolve(__dirname, '..');

const log = (msg: string) => console.log(`[test-stack] ${msg}`);

async function main(): Promise<number> {
  const { stack, dataDir, env } = await startTestStack(log);
  try {
    const resultsFile = path.join(dataDir, `jest-results-${process.pid}.json`);
    const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    const args = [jestBin, '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)];
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env });
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
