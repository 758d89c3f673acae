/**
 * Notification library used by the delivery activities: pure rendering, webhook request builders
 * and the channel senders. No DB and no Temporal here.
 */

export * from '../domain/notifications/types';
export * from './render';
export * from './send';
export * from './webhook-formats';
export * from './webhook-send';
export * from './webhook-target';
export * from './webhook-url-mask';
