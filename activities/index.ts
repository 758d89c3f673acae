/**
 * All activities, built by a factory that receives their dependencies (no globals), so the worker
 * and the tests wire them the same way.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { createDealRecordActivities } from './deal-records';
import { createNotificationActivities, type NotificationActivityDeps } from './notifications';
import { createOffboardActivities } from './offboard';

export interface ActivityDeps extends Omit<NotificationActivityDeps, 'db' | 'publicUrl'> {
  db: Db;
  publicUrl: string;
  /** Starts delivery of freshly written outbox rows (see notifications). */
  onNotified?: (rows: { id: string }[]) => Promise<void>;
  /** Whether outbox rows may need delivering at all (see deliveryNeededCheck); default: yes. */
  deliveryNeeded?: () => Promise<boolean>;
  /** Client for activities that talk to other workflows (offboarding hands deals over). */
  client?: Client;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDealRecordActivities(deps),
    ...createNotificationActivities(deps),
    ...createOffboardActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
