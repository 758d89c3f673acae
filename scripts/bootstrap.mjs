#!/usr/bin/env node
// Entry point of `npm start`, `npm test`, `npm run bench` and `npm run fuzz`. Node built-ins only: it runs before
// node_modules exists, installs it when missing (npm ci), then hands over to the TypeScript stack
// scripts through tsx.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const command = process.argv[2] ?? 'start';
const rest = process.argv.slice(3);
const targets = {
  start: 'scripts/dev.ts',
  test: 'scripts/test.ts',
  'test-alone': 'scripts/test-alone.ts',
  bench: 'scripts/bench.ts',
  'bench-signoff': 'scripts/bench-signoff.ts',
  screenshots: 'scripts/screenshots.ts',
  'bench-board': 'scripts/bench-board.ts',
  fuzz: 'scripts/fuzz.ts',
  'stack-prod': 'scripts/prod.ts',
  'test-prod': 'scripts/test-prod.ts',
  chaos: 'scripts/chaos.ts',
};
if (!targets[command]) {
  console.error(`usage: node scripts/bootstrap.mjs <${Object.keys(targets).join('|')}> [args]`);
  process.exit(2);
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`Node.js 20 or later is required (found ${process.versions.node}).`);
  process.exit(2);
}

function modulesInstalled() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(marker)) return false;
  // Reinstall when package-lock.json changed after the last install.
  return fs.statSync(marker).mtimeMs >= fs.statSync(path.join(root, 'package-lock.json')).mtimeMs - 1000;
}

if (!modulesInstalled()) {
  console.log('Installing node modules (npm ci)...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const res = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error('npm ci failed; see the output above.');
    process.exit(res.status ?? 1);
  }
}

// `node --import tsx` runs TypeScript without the tsx CLI wrapper, so signals reach the script.
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, targets[command]), ...rest], {
  cwd: root,
  stdio: 'inherit',
});
// The child handles Ctrl-C itself (it gets the same SIGINT from the terminal); keep this parent
// alive until it has shut everything down.
// A terminal's Ctrl-C reaches the whole process group; a signal sent to this process alone is passed on.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
