#!/usr/bin/env node
// Launcher for the `ltc` CLI: registers tsx's CommonJS hook, then runs cli/ltc.ts in-process.

const path = require('node:path');
const { register } = require('tsx/cjs/api');

register();
const { runCli } = require(path.join(__dirname, '..', 'cli', 'ltc.ts'));

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`ltc: ${error?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
