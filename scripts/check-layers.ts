/**
 * The project's layering, checked by `npm run lint` (and a unit test):
 * - `workflows/` is deterministic workflow code: it imports values only from @temporalio/workflow,
 *   @temporalio/common, other workflow files and `domain/`; anything else only as `import type`.
 * - `domain/` is pure: it imports only `domain/` (types included): no zod, drizzle, Node or I/O.
 * - `db/`, `domain/`, `definitions/`, `activities/`, `workflows/` and `notifications/` never import
 *   `api/`.
 * Run it: `node --import tsx scripts/check-layers.ts` (exits 1 and lists each forbidden import).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

const IMPORT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[\s\S]*?\s+from\s+)?['"]([^'"]+)['"]|(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import of a TypeScript file, with whether it is type-only (erased at build). */
export function importsOf(source: string): ImportRef[] {
  const out: ImportRef[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const specifier = m[3] ?? m[4];
    if (!specifier) continue;
    const before = source.slice(0, m.index ?? 0);
    out.push({
      specifier,
      typeOnly: Boolean(m[2]),
      line: before.split('\n').length + (m[0].startsWith('\n') ? 1 : 0),
    });
  }
  return out;
}

/** The import as a path from the project root (`domain/deal/machine`), or the package name. */
function target(root: string, file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return path
    .relative(root, path.resolve(path.dirname(file), specifier))
    .split(path.sep)
    .join('/');
}

const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

function violationOf(from: string, to: string, typeOnly: boolean): string | null {
  if (
    under(to, 'api') &&
    ['db', 'domain', 'definitions', 'activities', 'workflows', 'notifications'].some((d) => under(from, d))
  ) {
    return `${from.split('/')[0]}/ never imports api/`;
  }
  if (under(from, 'domain') && !under(to, 'domain')) {
    return 'domain/ is pure: it imports only domain/';
  }
  if (under(from, 'workflows') && !typeOnly) {
    const allowed =
      to === '@temporalio/workflow' ||
      to === '@temporalio/common' ||
      under(to, 'workflows') ||
      under(to, 'domain');
    if (!allowed)
      return 'workflows/ imports values only from @temporalio/workflow, @temporalio/common, workflows/ and domain/ (use `import type` for the rest)';
  }
  return null;
}

function* sourceFiles(dir: string): Generator<string> {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(p);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield p;
  }
}

export function checkLayers(root: string): Violation[] {
  const out: Violation[] = [];
  for (const top of ['workflows', 'domain', 'definitions', 'db', 'activities', 'notifications']) {
    for (const file of sourceFiles(path.join(root, top))) {
      const from = path.relative(root, file).split(path.sep).join('/');
      for (const ref of importsOf(fs.readFileSync(file, 'utf8'))) {
        const rule = violationOf(from, target(root, file, ref.specifier), ref.typeOnly);
        if (rule) out.push({ file: from, line: ref.line, specifier: ref.specifier, rule });
      }
    }
  }
  return out;
}

if (require.main === module) {
  const violations = checkLayers(path.resolve(__dirname, '..'));
  for (const v of violations) console.error(`${v.file}:${v.line}: '${v.specifier}': ${v.rule}`);
  if (violations.length) {
    console.error(`\n${violations.length} forbidden import(s)`);
    process.exit(1);
  }
  console.log('layers: ok');
}
