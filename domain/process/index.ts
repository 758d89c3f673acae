/**
 * Process definitions: model, parsing, validation, checksum and diff.
 *
 * For the API and CLI. Workflow code must import `./types` (and `../duration`) directly: this
 * index pulls in zod, yaml and node:crypto.
 */
export * from '../duration';
export * from './checksum';
export * from './diff';
export * from './parse';
export * from './schema';
export * from './types';
export * from './validate';
