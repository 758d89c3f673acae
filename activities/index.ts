/**
 * All activities, built by a factory that receives their dependencies (no globals), so the worker
 * and the tests wire them the same way.
 */
import type { Db } from '../db/client';
import { createDealRecordActivities, type OutboxRow } from './deal-records';

export interface ActivityDeps {
  db: Db;
  publicUrl: string;
  /** Starts delivery of freshly written outbox rows (see notifications). */
  onNotified?: (rows: OutboxRow[]) => Promise<void>;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDealRecordActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
