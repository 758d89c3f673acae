export { default } from '../integration/global-teardown';
