/** Everything the worker's workflow bundle exports. */
export { bareWorkflow } from './bare';
export { dealWorkflow } from './deal';
export { deliverNotification } from './notifications';
export { offboardWorkflow } from './offboard';
