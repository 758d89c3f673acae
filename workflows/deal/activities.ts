/**
 * How the deal workflow reaches its activities. A command's write runs as a local activity inside
 * its Update (no task-queue round trip, answered once it is in Postgres); everything the deal does
 * by itself, and every lookup off the hot path, runs as a regular activity.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { DealActivities } from '../../activities/types';

/** Kept briefly: past this the write goes to the deal's backlog, and the command still answers. */
export const commandWrites = proxyLocalActivities<DealActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '20s',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '2s',
    nonRetryableErrorTypes: ['InvalidDealData'],
  },
});

/** Lookups a command waits for (the directory at creation, a new AR's manager): retried until they answer. */
export const commandLookups = proxyLocalActivities<DealActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/** Writes of the deal's own steps: retried for minutes, then kept in the backlog. */
export const stepWrites = proxyActivities<DealActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5m',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: ['InvalidDealData'],
  },
});

/** Lookups and hand-offs of the deal's own steps: retried until they answer. */
export const stepLookups = proxyActivities<DealActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '1m' },
});
