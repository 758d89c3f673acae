/**
 * A worker in a child process of its own (`node worker.ts`), polling the world's task queue, so a
 * test can kill it with SIGKILL. It loads the run's prebuilt workflow bundle (LTC_WORKFLOW_BUNDLE,
 * set by the test set-up), so it starts without bundling the workflows again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { World } from './world';

export function spawnWorkerProcess(world: World): ChildProcess {
  const root = path.resolve(__dirname, '..', '..', '..');
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker.ts')], {
    cwd: root,
    env: {
      ...process.env,
      TEMPORAL_TASK_QUEUE: world.taskQueue,
      LOG_LEVEL: 'warn',
      WORKFLOW_BUNDLE_PATH: process.env.LTC_WORKFLOW_BUNDLE,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
