/**
 * Jest's own runner, but serial: the project that uses it (browser) runs its files one at a time in
 * the main process, on the shared Temporal dev server and Postgres, apart from the unit and
 * integration files, which share jest's parallel workers in the same `jest` run.
 */
const TestRunner = require('jest-runner').default;

class SerialRunner extends TestRunner {
  isSerial = true;
}

module.exports = SerialRunner;
