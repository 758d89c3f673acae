/**
 * A one-line workflow with a bare Update: the baseline the sign-off benchmark compares against.
 */
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const bareUpdate = defineUpdate<number, [number]>('bare');
export const bareDone = defineUpdate<void, []>('bareDone');

export async function bareWorkflow(): Promise<void> {
  let done = false;
  setHandler(bareUpdate, (n) => n + 1);
  setHandler(bareDone, () => {
    done = true;
  });
  await condition(() => done);
}
