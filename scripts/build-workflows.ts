/**
 * `npm run build:workflows`: bundle `workflows/` once, for production. The worker loads the file
 * named by WORKFLOW_BUNDLE_PATH instead of bundling at every start (the Dockerfile runs this).
 * Usage: build-workflows.ts [output] (default dist/workflow-bundle.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = path.resolve(__dirname, '..');

export async function buildWorkflowBundle(out: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // OpenTelemetry's workflow interceptors travel in the bundle, so tracing works with it.
    workflowInterceptorModules: [require.resolve('../telemetry/workflow-interceptors')],
    logger: {
      log: () => {},
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: console.error,
    },
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, out);
  return out;
}

if (require.main === module) {
  const out = path.resolve(root, process.argv[2] ?? 'dist/workflow-bundle.js');
  buildWorkflowBundle(out).then(
    (file) =>
      console.log(`workflow bundle written: ${path.relative(root, file)} (${fs.statSync(file).size} bytes)`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
