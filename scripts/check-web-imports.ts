/**
 * The web app's import rule (part of `npm run lint`), as in bulletproof-react: imports flow one way,
 * app → features → shared (components, lib, config). A feature never imports another feature or the
 * app; shared code imports neither. Relative and `@/` imports are both resolved, so `../../other`
 * is caught like `@/features/other`.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SourceFile {
  /** Path relative to web/src, with `/`. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  specifier: string;
  message: string;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

type Layer = { kind: 'entry' } | { kind: 'app' } | { kind: 'feature'; name: string } | { kind: 'shared' };

export function layerOf(file: string): Layer {
  const [top, second] = file.split('/');
  if (!file.includes('/')) return { kind: 'entry' };
  if (top === 'app') return { kind: 'app' };
  if (top === 'features') return { kind: 'feature', name: second };
  return { kind: 'shared' };
}

/** The web/src-relative target of an import, or undefined for a package. */
export function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (specifier.startsWith('@/')) return path.posix.normalize(specifier.slice(2));
  if (specifier.startsWith('.'))
    return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  return undefined;
}

export function checkImports(files: SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files) {
    const from = layerOf(f.path);
    for (const m of f.text.matchAll(IMPORT)) {
      const specifier = m[1];
      const target = resolveSpecifier(f.path, specifier);
      if (target === undefined) continue;
      if (target.startsWith('..')) {
        out.push({ file: f.path, specifier, message: 'imports from outside web/src' });
        continue;
      }
      const to = layerOf(target);
      const fail = (message: string) => out.push({ file: f.path, specifier, message });
      if (to.kind === 'app' && from.kind !== 'app' && from.kind !== 'entry')
        fail('only the app imports the app');
      else if (to.kind === 'feature' && from.kind === 'shared') fail('shared code must not import a feature');
      else if (to.kind === 'feature' && from.kind === 'feature' && to.name !== from.name)
        fail(`feature "${from.name}" must not import feature "${to.name}": compose them in app/`);
    }
  }
  return out;
}

function sources(dir: string, base = dir): SourceFile[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p, base);
    if (!/\.(ts|tsx)$/.test(e.name)) return [];
    return [{ path: path.relative(base, p).split(path.sep).join('/'), text: fs.readFileSync(p, 'utf8') }];
  });
}

if (require.main === module) {
  const src = path.resolve(__dirname, '..', 'web', 'src');
  const violations = checkImports(sources(src));
  for (const v of violations) console.error(`web/src/${v.file}: import '${v.specifier}': ${v.message}`);
  if (violations.length) {
    console.error(`${violations.length} forbidden import(s) in the web app (app → features → shared)`);
    process.exit(1);
  }
}
