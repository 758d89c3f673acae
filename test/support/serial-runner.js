/**
 * Jest's own runner, but serial: the projects that use it (integration, browser) run their files
 * one at a time in the main process, on the shared Temporal dev server and Postgres, while the unit
 * project runs in parallel workers in the same `jest` run.
 */
const TestRunner = require('jest-runner').default;

class SerialRunner extends TestRunner {
  isSerial = true;
}

module.exports = SerialRunner;
