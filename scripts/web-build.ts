/**
 * Builds the web app (web/ → web/dist) when it is missing or its sources changed, and measures it.
 * `npm start`, the browser tests and the screenshots call `ensureWebBuild`, so a second start does
 * not rebuild. `npm run build:web` builds unconditionally; `npm run size:web` prints the sizes.
 *
 * Sizes are gzipped JavaScript from Vite's manifest: the first load is the entry chunk with
 * everything it imports statically, plus the landing screen's chunks (the pipeline board for
 * managers and ops, My sign-offs for members); every other screen is a lazy chunk.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(__dirname, '..');
export const WEB_DIR = path.join(root, 'web');
export const WEB_DIST = path.join(WEB_DIR, 'dist');
const HASH_FILE = path.join(WEB_DIST, '.source-hash');
const SIZE_FILE = path.join(WEB_DIST, 'bundle-size.json');
/** The budget for gzipped JavaScript on first load. */
export const FIRST_LOAD_BUDGET_KB = 400;

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'dist' || e.name === 'node_modules' ? [] : listFiles(p);
    return [p];
  });
}

/** sha256 over the web app's sources and the lock file (dependencies change the build too). */
export function webSourcesHash(): string {
  const hash = createHash('sha256');
  const files = [...listFiles(WEB_DIR), path.join(root, 'package-lock.json')].sort();
  for (const f of files) {
    hash.update(path.relative(root, f));
    hash.update('\0');
    hash.update(fs.readFileSync(f));
    hash.update('\0');
  }
  return hash.digest('hex');
}

export function webBuildIsCurrent(): boolean {
  return (
    fs.existsSync(path.join(WEB_DIST, 'index.html')) &&
    fs.existsSync(HASH_FILE) &&
    fs.readFileSync(HASH_FILE, 'utf8') === webSourcesHash()
  );
}

export async function buildWeb(log: (msg: string) => void): Promise<BundleSize> {
  const started = Date.now();
  const hash = webSourcesHash();
  log('building the web app (vite build)...');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  let output = '';
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', path.join(WEB_DIR, 'vite.config.ts')], {
      cwd: root,
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`vite build failed:\n${output}`);
  const size = measureBundle();
  fs.writeFileSync(SIZE_FILE, `${JSON.stringify(size, null, 2)}\n`);
  fs.writeFileSync(HASH_FILE, hash);
  log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${formatBundleSize(size)}`);
  return size;
}

/** Builds unless the build in web/dist matches the sources. */
export async function ensureWebBuild(log: (msg: string) => void): Promise<void> {
  if (webBuildIsCurrent()) return;
  await buildWeb(log);
}

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

export interface BundleSize {
  /** Gzipped KB. */
  shellKb: number;
  firstLoadKb: { managers: number; members: number };
  budgetKb: number;
  /** Each lazy screen's own chunks beyond the shell, gzipped KB. */
  lazyKb: Record<string, number>;
  totalKb: number;
}

const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

export function measureBundle(dist = WEB_DIST): BundleSize {
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const gz = new Map<string, number>();
  const size = (key: string) => {
    const file = manifest[key].file;
    if (!gz.has(file)) gz.set(file, zlib.gzipSync(fs.readFileSync(path.join(dist, file))).length);
    return gz.get(file)!;
  };
  const closure = (key: string, seen = new Set<string>()) => {
    if (!seen.has(key)) {
      seen.add(key);
      for (const i of manifest[key].imports ?? []) closure(i, seen);
    }
    return seen;
  };
  const sum = (keys: Iterable<string>) => [...keys].reduce((s, k) => s + size(k), 0);
  const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
  if (!entry) throw new Error('no entry chunk in the Vite manifest');
  const shell = closure(entry);
  const screen = (src: string) => {
    const key = Object.keys(manifest).find((k) => k.endsWith(src));
    if (!key) throw new Error(`no chunk for ${src}`);
    return [...closure(key, new Set(shell))].filter((k) => !shell.has(k));
  };
  const lazyKb: Record<string, number> = {};
  for (const key of Object.keys(manifest).filter((k) => manifest[k].isDynamicEntry)) {
    lazyKb[key.replace(/^src\//, '')] = kb(sum(screen(key)));
  }
  const js = Object.keys(manifest).filter((k) => manifest[k].file.endsWith('.js'));
  return {
    shellKb: kb(sum(shell)),
    firstLoadKb: {
      managers: kb(sum(shell) + sum(screen('routes/app/pipeline.tsx'))),
      members: kb(sum(shell) + sum(screen('routes/app/tasks.tsx'))),
    },
    budgetKb: FIRST_LOAD_BUDGET_KB,
    lazyKb,
    totalKb: kb(sum(js)),
  };
}

export function formatBundleSize(s: BundleSize): string {
  return (
    `first-load JS ${s.firstLoadKb.managers} KB gzipped for managers and ops (board), ` +
    `${s.firstLoadKb.members} KB for members (My sign-offs), budget ${s.budgetKb} KB`
  );
}

if (require.main === module) {
  const mode = process.argv[2] ?? 'build';
  const run = async () => {
    const size = mode === 'size' ? measureBundle() : await buildWeb(console.log);
    console.log(JSON.stringify(size, null, 2));
  };
  run().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
