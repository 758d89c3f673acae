/**
 * `npm run test:alone`: every test must pass alone and in any order (issue 16). This lists every test
 * of the chosen jest projects, then runs each one alone: one jest run per test, its file path plus
 * an anchored name pattern (`-t '^<full name>$'`), all against ONE Temporal dev server and database
 * started once (scripts/stack/test-stack.ts, as `npm test` starts them) and one workflow bundle
 * (LTC_SHARED_WORKFLOW_BUNDLE, reused by test/integration/global-setup.ts).
 *
 * It prints a table (file, test, result, seconds) and a summary, writes both (with each failure's
 * jest output) under DATA_DIR/test-alone/ (git-ignored), and exits non-zero if any test fails alone.
 *
 *   npm run test:alone -- [--projects integration,browser,unit] [--files <regex>] [--tests <regex>]
 *                         [--concurrency 1] [--timeout 300] [--randomize <runs>] [--seed <n>] [--random-only]
 *                         [--list]
 *
 * --files / --tests filter by file path / full test name (regular expressions); --randomize N then
 * runs the integration project N more times as a whole with jest's --randomize (a printed seed, or
 * --seed for the first run), so the order of files' tests differs from run to run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { devEnv } from '../config/env';
import { ensureChromium } from './stack/chromium';
import { startTestStack } from './stack/test-stack';
import { ensureWebBuild } from './web-build';

const root = path.resolve(__dirname, '..');
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const PROJECTS = ['integration', 'browser', 'unit'] as const;
/** The jest runs under way, so a signal can end them (each is a process group of its own). */
const running = new Set<number>();
type Project = (typeof PROJECTS)[number];

interface Options {
  projects: Project[];
  files?: RegExp;
  tests?: RegExp;
  concurrency: number;
  timeoutS: number;
  randomize: number;
  seed?: number;
  list: boolean;
  /** Skip the runs alone (only the randomized whole runs). */
  randomOnly: boolean;
}

function usage(msg: string): never {
  console.error(
    `${msg}\nusage: npm run test:alone -- [--projects integration,browser,unit] [--files <regex>] [--tests <regex>] [--concurrency 1] [--timeout 300] [--randomize <runs>] [--seed <n>] [--random-only] [--list]`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    projects: [...PROJECTS],
    concurrency: 1,
    timeoutS: 300,
    randomize: 0,
    list: false,
    randomOnly: false,
  };
  const positiveInt = (flag: string, v: string | undefined, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) usage(`${flag} takes a whole number from 0 to ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--projects') {
      const ps = next().split(',').filter(Boolean);
      for (const p of ps) if (!(PROJECTS as readonly string[]).includes(p)) usage(`unknown project ${p}`);
      o.projects = ps as Project[];
    } else if (a === '--files') o.files = new RegExp(next());
    else if (a === '--tests') o.tests = new RegExp(next());
    else if (a === '--concurrency') o.concurrency = Math.max(1, positiveInt(a, next(), 8));
    else if (a === '--timeout') o.timeoutS = Math.max(1, positiveInt(a, next(), 3600));
    else if (a === '--randomize') o.randomize = positiveInt(a, next(), 20);
    else if (a === '--seed') o.seed = positiveInt(a, next(), 2 ** 31 - 1);
    else if (a === '--list') o.list = true;
    else if (a === '--random-only') o.randomOnly = true;
    else usage(`unknown argument ${a}`);
  }
  return o;
}

interface TestCase {
  project: Project;
  /** Path relative to the repository root. */
  file: string;
  fullName: string;
}

type Outcome = 'pass' | 'FAIL' | 'NOT RUN' | 'TIMEOUT';

interface Result extends TestCase {
  outcome: Outcome;
  seconds: number;
  /** Why, in one line, when it did not pass. */
  note: string;
  /** How many tests the name pattern matched in the file (more than 1: duplicate names). */
  matched: number;
}

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTestSuites: number;
  success: boolean;
  testResults: {
    name: string;
    message: string;
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

/** Runs jest with the stack's environment; resolves with its exit code, output and JSON result. */
function runJest(
  args: string[],
  env: NodeJS.ProcessEnv,
  outFile: string,
  timeoutS: number,
): Promise<{ code: number; timedOut: boolean; output: string; json?: JestJson }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [jestBin, '--json', `--outputFile=${outFile}`, ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid) running.add(child.pid);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole group: jest and whatever it spawned.
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid) running.delete(child.pid);
      let json: JestJson | undefined;
      if (fs.existsSync(outFile)) {
        try {
          json = JSON.parse(fs.readFileSync(outFile, 'utf8')) as JestJson;
        } catch {
          json = undefined;
        }
        fs.rmSync(outFile, { force: true });
      }
      resolve({ code: code ?? 1, timedOut, output: Buffer.concat(chunks).toString('utf8'), json });
    });
  });
}

/** A regular expression matching exactly `s`. */
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every test of the projects, by running jest with a name pattern nothing matches (no hooks run). */
async function listTests(opts: Options, env: NodeJS.ProcessEnv, work: string): Promise<TestCase[]> {
  const out = path.join(work, 'list.json');
  const r = await runJest(
    [
      '--selectProjects',
      ...opts.projects,
      '-t',
      '^a name no test has \\(test-alone\\)$',
      ...(opts.files ? ['--testPathPatterns', opts.files.source] : []),
    ],
    env,
    out,
    opts.timeoutS * 4,
  );
  if (!r.json) throw new Error(`listing the tests failed (exit ${r.code}):\n${r.output.slice(-4000)}`);
  const cases: TestCase[] = [];
  for (const file of r.json.testResults) {
    const rel = path.relative(root, file.name);
    const project = (['unit', 'integration', 'browser'] as const).find((p) => rel.startsWith(`test/${p}/`));
    if (!project) continue;
    if (file.assertionResults.length === 0 && file.message) {
      throw new Error(`listing ${rel} failed:\n${file.message.slice(0, 4000)}`);
    }
    for (const a of file.assertionResults) cases.push({ project, file: rel, fullName: a.fullName });
  }
  return cases
    .filter((c) => (!opts.files || opts.files.test(c.file)) && (!opts.tests || opts.tests.test(c.fullName)))
    .sort(
      (a, b) =>
        PROJECTS.indexOf(a.project) - PROJECTS.indexOf(b.project) || a.file.localeCompare(b.file) || 0,
    );
}

function firstLine(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
  const plain = s.replace(/\x1b\[[0-9;]*m/g, '');
  const line = plain
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('●'));
  return (line ?? '').slice(0, 160);
}

async function runAlone(
  t: TestCase,
  env: NodeJS.ProcessEnv,
  work: string,
  index: number,
  timeoutS: number,
): Promise<{ result: Result; output: string }> {
  const started = Date.now();
  const r = await runJest(
    ['--selectProjects', t.project, '--runTestsByPath', t.file, '-t', `^${escapeRegExp(t.fullName)}$`],
    env,
    path.join(work, `run-${index}.json`),
    timeoutS,
  );
  const seconds = (Date.now() - started) / 1000;
  const assertions = (r.json?.testResults ?? []).flatMap((f) => f.assertionResults);
  const ran = assertions.filter((a) => a.status === 'passed' || a.status === 'failed');
  const failed = ran.filter((a) => a.status === 'failed');
  let outcome: Outcome = 'pass';
  let note = '';
  if (r.timedOut) {
    outcome = 'TIMEOUT';
    note = `no result within ${timeoutS} s (killed)`;
  } else if (failed.length > 0) {
    outcome = 'FAIL';
    note = firstLine(failed[0].failureMessages.join('\n'));
  } else if (ran.length === 0) {
    const fileMessage = r.json?.testResults.find((f) => f.message)?.message;
    outcome = fileMessage ? 'FAIL' : 'NOT RUN';
    note = fileMessage ? firstLine(fileMessage) : 'the name pattern matched no test';
  } else if (r.code !== 0) {
    // The test passed but its file did not (a hook, an open handle, a leak jest noticed).
    outcome = 'FAIL';
    const fileMessage = r.json?.testResults.find((f) => f.message)?.message;
    note = `jest exited ${r.code}: ${firstLine(fileMessage ?? r.output.split('\n').slice(-20).join('\n'))}`;
  }
  return { result: { ...t, outcome, seconds, note, matched: ran.length }, output: r.output };
}

function table(results: Result[]): string {
  const fileW = Math.min(48, Math.max(4, ...results.map((r) => r.file.length)));
  const nameW = 90;
  const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const lines = [`${cut('file', fileW)}  ${cut('test', nameW)}  result   seconds`];
  for (const r of results) {
    lines.push(
      `${cut(r.file, fileW)}  ${cut(r.fullName, nameW)}  ${r.outcome.padEnd(7)}  ${r.seconds.toFixed(1).padStart(7)}` +
        (r.matched > 1 ? `  (the name matched ${r.matched} tests)` : '') +
        (r.note ? `\n${' '.repeat(fileW + 2)}  -> ${r.note}` : ''),
    );
  }
  return lines.join('\n');
}

function summary(results: Result[]): string {
  const lines: string[] = [];
  for (const p of PROJECTS) {
    const of = results.filter((r) => r.project === p);
    if (of.length === 0) continue;
    const passed = of.filter((r) => r.outcome === 'pass').length;
    const secs = of.reduce((s, r) => s + r.seconds, 0);
    lines.push(
      `${p}: ${of.length} tests run alone, ${passed} passed, ${of.length - passed} did not (${Math.round(secs)} s of jest runs)`,
    );
  }
  const bad = results.filter((r) => r.outcome !== 'pass');
  if (results.length === 0) lines.push('No test run alone.');
  else
    lines.push(bad.length === 0 ? 'Every test passed alone.' : `${bad.length} test(s) did not pass alone:`);
  for (const r of bad) lines.push(`  ${r.outcome} ${r.file} › ${r.fullName}\n      ${r.note}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const log = (msg: string) => console.log(`[test-alone] ${msg}`);
  // The unit project needs no servers: alone, it runs without the stack.
  const needsStack = opts.projects.some((p) => p !== 'unit');
  const { stack, dataDir, env } = needsStack
    ? await startTestStack(log)
    : {
        stack: { stop: async () => {} },
        dataDir: path.resolve(root, devEnv().DATA_DIR),
        env: {
          ...process.env,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
          LTC_TEST: '1',
        } as NodeJS.ProcessEnv,
      };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping the jest runs and the stack`);
      for (const pid of running) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {}
      }
      stack.stop().finally(() => process.exit(130));
    });
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = path.join(dataDir, 'test-alone', stamp);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ltc-test-alone-'));
  fs.mkdirSync(outDir, { recursive: true });
  try {
    // One workflow bundle for every jest run (the integration and browser global set-up reuse it).
    if (needsStack) {
      const bundle = path.join(work, 'workflow-bundle.js');
      const { code } = await bundleWorkflowCode({
        workflowsPath: require.resolve('../workflows'),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
      });
      fs.writeFileSync(bundle, code);
      env.LTC_SHARED_WORKFLOW_BUNDLE = bundle;
      log('workflows bundled once for every run');
    }
    if (opts.projects.includes('browser')) {
      ensureChromium(log);
      await ensureWebBuild(log);
    }

    const cases = opts.randomOnly ? [] : await listTests(opts, env, work);
    log(
      `${cases.length} tests listed (${opts.projects.map((p) => `${p} ${cases.filter((c) => c.project === p).length}`).join(', ')})`,
    );
    const dupes = new Map<string, number>();
    for (const c of cases)
      dupes.set(`${c.file}\0${c.fullName}`, (dupes.get(`${c.file}\0${c.fullName}`) ?? 0) + 1);
    for (const [k, n] of dupes) if (n > 1) log(`duplicate test name (${n} times): ${k.replace('\0', ' › ')}`);
    if (opts.list) {
      for (const c of cases) console.log(`${c.project}\t${c.file}\t${c.fullName}`);
      return 0;
    }

    // Same-named tests run together under one pattern: run each name once.
    const seen = new Set<string>();
    const todo = cases.filter((c) => {
      const k = `${c.file}\0${c.fullName}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const results: Result[] = new Array(todo.length);
    const progress = path.join(outDir, 'progress.tsv');
    let next = 0;
    let done = 0;
    const started = Date.now();
    const workerLoop = async () => {
      while (next < todo.length) {
        const i = next++;
        const { result, output } = await runAlone(todo[i], env, work, i, opts.timeoutS);
        results[i] = result;
        done++;
        fs.appendFileSync(
          progress,
          `${result.project}\t${result.file}\t${result.fullName}\t${result.outcome}\t${result.seconds.toFixed(1)}\t${result.note}\n`,
        );
        if (result.outcome !== 'pass') {
          fs.writeFileSync(
            path.join(outDir, `failure-${i}.log`),
            `${result.file} › ${result.fullName}\n\n${output}`,
          );
        }
        log(
          `${String(done).padStart(4)}/${todo.length} ${result.outcome.padEnd(7)} ${result.seconds.toFixed(1).padStart(6)} s  ${result.file} › ${result.fullName}`,
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, todo.length) }, workerLoop));
    const report = `${table(results)}\n\n${summary(results)}\n(wall time ${Math.round((Date.now() - started) / 1000)} s, concurrency ${opts.concurrency})\n`;
    console.log(`\n${report}`);
    fs.writeFileSync(path.join(outDir, 'report.txt'), report);
    fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2));
    let failed = results.some((r) => r.outcome !== 'pass');

    // Whole runs in a random order of tests within each file (jest's --randomize), seed printed.
    for (let run = 0; run < opts.randomize; run++) {
      const seed = run === 0 && opts.seed !== undefined ? opts.seed : Math.floor(Math.random() * 2 ** 31);
      log(
        `randomized run ${run + 1}/${opts.randomize}: jest --selectProjects integration --randomize --seed=${seed}`,
      );
      const args = ['--selectProjects', 'integration', '--randomize', `--seed=${seed}`];
      if (opts.files) args.push(opts.files.source);
      const r = await runJest(args, env, path.join(work, `random-${run}.json`), opts.timeoutS * 40);
      const line = r.json
        ? `${r.json.numPassedTests} passed, ${r.json.numFailedTests} failed`
        : `no result (exit ${r.code}${r.timedOut ? ', timed out' : ''})`;
      const fails = (r.json?.testResults ?? []).flatMap((f) =>
        f.assertionResults
          .filter((a) => a.status === 'failed')
          .map(
            (a) =>
              `  FAIL ${path.relative(root, f.name)} › ${a.fullName}\n      ${firstLine(a.failureMessages.join('\n'))}`,
          ),
      );
      const text = `randomized run seed ${seed}: ${line}${fails.length ? `\n${fails.join('\n')}` : ''}`;
      console.log(text);
      fs.appendFileSync(path.join(outDir, 'report.txt'), `${text}\n`);
      if (r.code !== 0) {
        failed = true;
        fs.writeFileSync(path.join(outDir, `random-seed-${seed}.log`), r.output);
      }
    }
    log(`report: ${path.join(outDir, 'report.txt')}`);
    return failed ? 1 : 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
