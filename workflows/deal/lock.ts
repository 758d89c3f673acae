/**
 * One change to a deal at a time: commands and the deal's own steps (SLA, refreshes) take this lock
 * around "check, change, write", so each sees the state the previous one left, and the timeline is
 * written in sequence order.
 */
import { condition } from '@temporalio/workflow';

export class DealLock {
  private held = false;

  get busy(): boolean {
    return this.held;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // Several waiters may wake in one activation: each re-checks before it takes the lock.
    while (this.held) await condition(() => !this.held);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}
