/**
 * A jest reporter: at the end of a run, the ten slowest test files with their wall-clock time and
 * project, so a file that grows slow is seen in every `npm test`.
 */
const path = require('node:path');

const TOP = 10;

class SlowestFilesReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const files = results.testResults
      .map((r) => ({
        file: path.relative(this.rootDir, r.testFilePath),
        ms: r.perfStats.runtime ?? r.perfStats.end - r.perfStats.start,
        tests: r.numPassingTests + r.numFailingTests + r.numPendingTests + (r.numTodoTests ?? 0),
      }))
      .filter((f) => Number.isFinite(f.ms))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, TOP);
    if (files.length === 0) return;
    const total = (Date.now() - results.startTime) / 1000;
    const width = Math.max(...files.map((f) => f.file.length));
    const lines = files.map(
      (f, i) =>
        `${String(i + 1).padStart(2)}. ${f.file.padEnd(width)}  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${String(f.tests).padStart(3)} tests`,
    );
    process.stderr.write(
      `\nSlowest ${files.length} test files (run took ${total.toFixed(1)} s):\n${lines.join('\n')}\n`,
    );
  }
}

module.exports = SlowestFilesReporter;
