/**
 * Four projects: `unit` (pure code, no servers; in parallel workers), `integration` (real Temporal
 * dev server and real Postgres, started by scripts/test.ts before jest runs), `browser` (the same
 * stack with the built web app, driven in headless Chromium) and `prod` (the scale-out proofs, only
 * under `npm run test:prod`). Unit and integration files share jest's worker processes (two on a
 * 2-core machine): an integration file waits on Temporal and Postgres most of its time, and every
 * file is namespaced (its own task queue, ids suffixed with its world's `ns`), so two run side by
 * side. Browser files run one at a time in the main process (test/support/serial-runner.js), apart
 * from them: each drives a headless Chromium, the heaviest thing on the machine.
 */
const os = require('node:os');

const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }];

// `LTC_TEST_SERIAL=1 npm test`: integration files one at a time in the main process too (a machine
// too loaded for the real-timer tests to share it, or a hunt for a file that leans on another).
const serialRunner = '<rootDir>/test/support/serial-runner.js';
const integrationRunner = process.env.LTC_TEST_SERIAL === '1' ? { runner: serialRunner } : {};

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests wait on real timers (second-scale SLAs); unit tests finish long before this.
  testTimeout: 60000,
  // Jest's default (cores - 1) is a single worker on a 2-core machine, which runs everything in band.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  reporters: ['default', '<rootDir>/test/support/slowest-files-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['ts', 'js', 'json'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['ts', 'js', 'json'],
      ...integrationRunner,
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
    {
      // The scale-out proofs: only under `npm run test:prod` (skipped otherwise).
      displayName: 'prod',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/prod'],
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['ts', 'js', 'json'],
    },
    {
      displayName: 'browser',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/browser'],
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['ts', 'js', 'json'],
      runner: serialRunner,
      globalSetup: '<rootDir>/test/browser/global-setup.ts',
      globalTeardown: '<rootDir>/test/browser/global-teardown.ts',
    },
  ],
};
