/**
 * `ltc` — command line for process definitions.
 *
 *   ltc process validate <file>   offline check of a YAML or JSON definition
 *   ltc process apply <file>      store it as a new version (POST /process-definitions)
 *   ltc process list              stored definitions (GET /process-definitions)
 *   ltc process diff <file>       what apply would change against the latest stored version
 *
 * Environment: LTC_URL (default http://localhost:3000), LTC_TOKEN (sent as a Bearer token).
 * `runCli` is exported so tests can run commands in-process; `bin/ltc.js` and `npm run ltc` run it.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseDefinitionText } from '../definitions/parse';
import { validateProcessDefinition } from '../definitions/validate';
import { diffDefinitions, formatDefinitionDiff, isEmptyDiff } from '../domain/process/diff';
import type { ProcessDefinition, ValidationIssue } from '../domain/process/types';

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Record<string, string | undefined>;
  /** Directory that relative file paths are resolved against; defaults to process.cwd(). */
  cwd?: string;
}

export const DEFAULT_LTC_URL = 'http://localhost:3000';
const REQUEST_TIMEOUT_MS = 30_000;

export const USAGE = `Usage: ltc process <command>

Commands:
  ltc process validate <file>   check a definition (YAML or JSON) offline
  ltc process apply <file>      store the definition as a new version
  ltc process list              list stored definitions
  ltc process diff <file>       show changes from the latest stored version to <file>

Environment:
  LTC_URL     API base URL (default ${DEFAULT_LTC_URL})
  LTC_TOKEN   API token, sent as "Authorization: Bearer <token>"
`;

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Runs one command; `argv` excludes node and the script (`['process', 'validate', 'f.yaml']`). */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const out = (line = '') => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  const [group, command, ...rest] = argv;

  if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const usage = (problem: string) => {
    err(`ltc: ${problem}`);
    io.stderr.write(`\n${USAGE}`);
    return EXIT_USAGE;
  };
  if (group !== 'process') return usage(`unknown command "${group}"`);
  if (command === undefined) return usage('missing command after "process"');
  if (command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }

  const ctx: Context = { io, out, err };
  try {
    switch (command) {
      case 'validate':
      case 'apply':
      case 'diff': {
        if (rest.length !== 1 || rest[0].startsWith('-')) {
          return usage(`process ${command} takes exactly one file`);
        }
        const file = rest[0];
        if (command === 'validate') return validateCommand(ctx, file);
        if (command === 'apply') return await applyCommand(ctx, file);
        return await diffCommand(ctx, file);
      }
      case 'list':
        if (rest.length !== 0) return usage('process list takes no arguments');
        return await listCommand(ctx);
      default:
        return usage(`unknown command "process ${command}"`);
    }
  } catch (e) {
    err(`ltc: ${e instanceof CliError ? e.message : describeError(e)}`);
    return EXIT_FAILURE;
  }
}

interface Context {
  io: CliIo;
  out: (line?: string) => void;
  err: (line: string) => void;
}

/** A failure already worded for the user. */
class CliError extends Error {}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

// ---------------------------------------------------------------------------------------------
// Files

interface DefinitionFile {
  path: string;
  text: string;
  format: 'yaml' | 'json' | 'auto';
  contentType: string;
}

function readDefinitionFile(ctx: Context, file: string): DefinitionFile {
  const path = resolve(ctx.io.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${describeError(e)}`);
  }
  const ext = extname(path).toLowerCase();
  const format = ext === '.yaml' || ext === '.yml' ? 'yaml' : ext === '.json' ? 'json' : 'auto';
  const json = format === 'json' || (format === 'auto' && /^\uFEFF?\s*[{[]/.test(text));
  return { path, text, format, contentType: json ? 'application/json' : 'application/yaml' };
}

/** Parses and validates offline (no group list); prints the errors and returns null on failure. */
function loadValid(
  ctx: Context,
  file: string,
  source: DefinitionFile,
): { definition: ProcessDefinition; warnings: ValidationIssue[] } | null {
  const parsed = parseDefinitionText(source.text, source.format);
  const result = parsed.ok ? validateProcessDefinition(parsed.value) : parsed;
  if (!result.ok) {
    ctx.err(`${file}: ${result.errors.length} error(s)`);
    printIssues(ctx.err, result.errors);
    return null;
  }
  return result;
}

function printIssues(print: (line: string) => void, issues: ValidationIssue[]) {
  for (const issue of issues) print(`  ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`);
}

function printWarnings(print: (line: string) => void, warnings: ValidationIssue[]) {
  for (const w of warnings) print(`  warning ${w.path === '' ? '(root)' : w.path}: ${w.message}`);
}

// ---------------------------------------------------------------------------------------------
// Commands

function validateCommand(ctx: Context, file: string): number {
  const result = loadValid(ctx, file, readDefinitionFile(ctx, file));
  if (!result) return EXIT_FAILURE;
  const { definition, warnings } = result;
  ctx.out(`OK ${definition.key}: ${definition.stages.length} stages`);
  printWarnings(ctx.out, warnings);
  return EXIT_OK;
}

async function applyCommand(ctx: Context, file: string): Promise<number> {
  const source = readDefinitionFile(ctx, file);
  const loaded = loadValid(ctx, file, source);
  if (!loaded) return EXIT_FAILURE;
  printWarnings(ctx.out, loaded.warnings);
  const local = loaded.definition;
  const res = await request(ctx, 'POST', '/process-definitions', {
    body: source.text,
    contentType: source.contentType,
  });
  const body = asRecord(res.body);
  const key = typeof body.key === 'string' ? body.key : local.key;
  if (res.status === 201) {
    ctx.out(`applied ${key} v${String(body.version ?? '?')} (${String(body.checksum ?? '?')})`);
    return EXIT_OK;
  }
  if (res.status === 200) {
    ctx.out(`unchanged ${key} v${String(body.version ?? '?')}`);
    return EXIT_OK;
  }
  printProblem(ctx, res);
  return EXIT_FAILURE;
}

async function listCommand(ctx: Context): Promise<number> {
  const rows: string[][] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  // Follows `nextCursor` (as `?cursor=`) until the last page; stops on a repeated cursor.
  for (let page = 0; page < 1000; page++) {
    const path =
      cursor === undefined
        ? '/process-definitions'
        : `/process-definitions?cursor=${encodeURIComponent(cursor)}`;
    const res = await request(ctx, 'GET', path);
    if (res.status !== 200) {
      printProblem(ctx, res);
      return EXIT_FAILURE;
    }
    const body = asRecord(res.body);
    const items = Array.isArray(res.body) ? res.body : Array.isArray(body.items) ? body.items : [];
    for (const item of items) {
      const it = asRecord(item);
      rows.push([
        String(it.key ?? '?'),
        String(it.version ?? '?'),
        displayName(it.name ?? asRecord(it.definition).name),
      ]);
    }
    const next = body.nextCursor;
    if (typeof next !== 'string' || next === '' || seen.has(next)) break;
    seen.add(next);
    cursor = next;
  }
  if (rows.length === 0) {
    ctx.out('no process definitions');
    return EXIT_OK;
  }
  for (const line of table([['KEY', 'VERSION', 'NAME'], ...rows])) ctx.out(line);
  return EXIT_OK;
}

async function diffCommand(ctx: Context, file: string): Promise<number> {
  const source = readDefinitionFile(ctx, file);
  const loaded = loadValid(ctx, file, source);
  if (!loaded) return EXIT_FAILURE;
  const local = loaded.definition;
  const res = await request(ctx, 'GET', `/process-definitions/${encodeURIComponent(local.key)}`);
  if (res.status === 404) {
    ctx.out(`${local.key} is new: no stored version yet (${local.stages.length} stages would be created)`);
    return EXIT_OK;
  }
  if (res.status !== 200) {
    printProblem(ctx, res);
    return EXIT_FAILURE;
  }
  const body = asRecord(res.body);
  const stored = body.definition;
  if (!isStoredDefinition(stored)) throw new CliError('the server answered without a definition');
  ctx.out(`${local.key}: v${String(body.version ?? '?')} (stored) -> ${file}`);
  const diff = diffDefinitions(stored, local);
  if (isEmptyDiff(diff)) {
    ctx.out('no changes');
    return EXIT_OK;
  }
  for (const line of formatDefinitionDiff(diff)) ctx.out(line);
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface Response {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

async function request(
  ctx: Context,
  method: 'GET' | 'POST',
  path: string,
  payload?: { body: string; contentType: string },
): Promise<Response> {
  const base = (ctx.io.env.LTC_URL || DEFAULT_LTC_URL).replace(/\/+$/, '');
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  const token = ctx.io.env.LTC_TOKEN;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (payload) headers['Content-Type'] = payload.contentType;
  let res: globalThis.Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: payload?.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    throw new CliError(`cannot reach ${base} (${method} ${path}): ${describeError(e)}`);
  }
  const text = await res.text();
  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
  }
  return { status: res.status, body };
}

/** Prints an error response: problem+json `errors[]` as `  path: message`, else its detail. */
function printProblem(ctx: Context, res: Response) {
  const problem = asRecord(res.body);
  const title = typeof problem.title === 'string' ? problem.title : '';
  ctx.err(`ltc: the server answered ${res.status}${title ? ` ${title}` : ''}`);
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  const issues = errors.map((e) => {
    const r = asRecord(e);
    return {
      path: typeof r.path === 'string' ? r.path : '',
      message: String(r.message ?? JSON.stringify(e)),
    };
  });
  if (issues.length > 0) printIssues(ctx.err, issues);
  else if (typeof problem.detail === 'string' && problem.detail !== '') ctx.err(`  ${problem.detail}`);
  else if (typeof res.body === 'string' && res.body.trim() !== '')
    ctx.err(`  ${res.body.trim().slice(0, 500)}`);
  if (res.status === 401 && !ctx.io.env.LTC_TOKEN) ctx.err('  (LTC_TOKEN is not set)');
}

// ---------------------------------------------------------------------------------------------
// Helpers

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function isStoredDefinition(value: unknown): value is ProcessDefinition {
  const r = asRecord(value);
  return typeof r.key === 'string' && Array.isArray(r.stages);
}

function displayName(name: unknown): string {
  if (typeof name === 'string') return name;
  const r = asRecord(name);
  const parts = [r.en, r.zh].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.join(' / ');
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => displayWidth(row[col] ?? ''))));
  return rows.map((row) =>
    row
      .map((cell, col) =>
        col === row.length - 1 ? cell : cell + ' '.repeat(widths[col] - displayWidth(cell)),
      )
      .join('  ')
      .trimEnd(),
  );
}

/** Terminal columns: CJK characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text)
    width +=
      /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/.test(ch)
        ? 2
        : 1;
  return width;
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return `${e.message}: ${cause.message}`;
    const code = (cause as { code?: unknown } | undefined)?.code;
    return code ? `${e.message} (${String(code)})` : e.message;
  }
  return String(e);
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`ltc: ${describeError(e)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
