import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * Bundle the workflows once per run; every test worker loads this bundle. Under `npm run test:alone`
 * (one jest run per test) the bundle is made once for all runs and named by LTC_SHARED_WORKFLOW_BUNDLE.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.TEMPORAL_ADDRESS || !process.env.DATABASE_URL) {
    throw new Error('Integration tests need TEMPORAL_ADDRESS and DATABASE_URL: run them with `npm test`.');
  }
  const shared = process.env.LTC_SHARED_WORKFLOW_BUNDLE;
  if (shared && fs.existsSync(shared)) {
    process.env.LTC_WORKFLOW_BUNDLE = shared;
    return;
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: {
      log: () => {},
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: console.error,
    },
  });
  const file = path.join(os.tmpdir(), `ltc-workflow-bundle-${process.pid}.js`);
  fs.writeFileSync(file, code);
  process.env.LTC_WORKFLOW_BUNDLE = file;
}
