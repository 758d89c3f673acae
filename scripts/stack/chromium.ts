/**
 * Headless Chromium for the browser tests and `npm run screenshots`: Debian's `chromium` package
 * driven by playwright-core (Playwright's own browser download cannot be used here). When it is
 * missing, `apt-get install -y chromium` is run (these machines run as root); when that fails the
 * error says what to do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Without the networking flags Chromium keeps calling home, which a closed network answers slowly. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function findChromium(): string | undefined {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    onPath('chromium'),
    onPath('chromium-browser'),
  ];
  return candidates.find((c): c is string => Boolean(c && fs.existsSync(c)));
}

/** The Chromium binary, installing Debian's package first when there is none. */
export function ensureChromium(log: (msg: string) => void = console.log): string {
  const found = findChromium();
  if (found) return found;
  log(
    'Chromium is missing: running `apt-get install -y chromium` (the browser tests and screenshots need it)...',
  );
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let res = apt(['install', '-y', 'chromium']);
  if (res.status !== 0) {
    apt(['update']);
    res = apt(['install', '-y', 'chromium']);
  }
  const installed = findChromium();
  if (!installed) {
    throw new Error(
      'Chromium is not installed and `apt-get install -y chromium` did not install it' +
        `${res.error ? ` (${res.error.message})` : ` (exit ${res.status})`}. ` +
        'Install it yourself (as root: apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  log(`Chromium installed at ${installed}`);
  return installed;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile of its own (removed on close). */
export async function launchChromium(opts: { log?: (msg: string) => void } = {}): Promise<Browser> {
  const executablePath = ensureChromium(opts.log);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    locale: 'en-US',
    timezoneId: 'Asia/Shanghai',
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Chinese labels need a CJK font, which a minimal system lacks: installs a small one when none is there. */
export function ensureCjkFont(log: (msg: string) => void = console.log): void {
  const fonts = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  if (fonts.status === 0 && fonts.stdout.trim()) return;
  log('no Chinese font: running `apt-get install -y fonts-wqy-microhei`...');
  const res = spawnSync('apt-get', ['install', '-y', 'fonts-wqy-microhei'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (res.status !== 0) log('could not install a Chinese font: Chinese labels will show as boxes');
}
