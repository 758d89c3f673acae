/** Helpers shared by the sections of `npm run bench`: timing, statistics, HTTP, processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { killOnExit } from '../stack/temporal';

export const root = path.resolve(__dirname, '..', '..');

export interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0)
    return { n: 0, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    p50: r(q(0.5)),
    p90: r(q(0.9)),
    p99: r(q(0.99)),
    max: r(s[s.length - 1]),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run `fn` over `items` with at most `n` at a time. */
export async function pool<T>(
  items: T[],
  n: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i], i);
    }),
  );
}

export async function call(
  base: string,
  token: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(base + url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Peak (VmHWM) and current (VmRSS) resident set of a process, in MB (Linux only; 0 elsewhere). */
export function rssOf(pid: number): { peakMb: number; rssMb: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { peakMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
  } catch {
    return { peakMb: 0, rssMb: 0 };
  }
}

/** `node --import tsx <file>` as a child with its output prefixed, resolved on a line matching `ready`. */
export function spawnTs(
  file: string,
  env: NodeJS.ProcessEnv,
  opts: { name: string; ready?: RegExp; log: (m: string) => void; timeoutMs?: number; args?: string[] },
): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [...(opts.args ?? []), '--import', 'tsx', path.join(root, file)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  return new Promise((resolve, reject) => {
    let done = !opts.ready;
    if (done) resolve({ child, readyMs: 0 });
    const timer = setTimeout(() => {
      if (!done) reject(new Error(`${opts.name} not ready within ${(opts.timeoutMs ?? 120_000) / 1000} s`));
    }, opts.timeoutMs ?? 120_000);
    if (done) clearTimeout(timer);
    const onLine = (line: string) => {
      if (!line.trim()) return;
      if (!done && opts.ready?.test(line)) {
        done = true;
        clearTimeout(timer);
        resolve({ child, readyMs: Date.now() - started });
      } else if (/ERROR|"level":(50|60)|Error:/.test(line)) {
        opts.log(`${opts.name}: ${line.slice(0, 400)}`);
      }
    };
    let bufO = '';
    let bufE = '';
    child.stdout?.on('data', (d: Buffer) => {
      bufO += d.toString();
      const lines = bufO.split('\n');
      bufO = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    });
    child.stderr?.on('data', (d: Buffer) => {
      bufE += d.toString();
      const lines = bufE.split('\n');
      bufE = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    });
    child.on('exit', (code, signal) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(new Error(`${opts.name} exited before it was ready (${code ?? signal})`));
      }
    });
  });
}

/**
 * Where a process spent its CPU, from a `--cpu-prof` profile: self time per function and per
 * module (a package under node_modules, a project file, or a Node internal), highest first.
 */
export function summariseCpuProfile(file: string, top = 12) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: {
      id: number;
      hitCount?: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
    }[];
    startTime: number;
    endTime: number;
    samples: number[];
  };
  const perSample = (prof.endTime - prof.startTime) / 1000 / Math.max(1, prof.samples.length);
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const n of prof.nodes) {
    const ms = (n.hitCount ?? 0) * perSample;
    if (!ms) continue;
    total += ms;
    const url = n.callFrame.url;
    const mod = !url
      ? `(${n.callFrame.functionName || 'native'})`
      : url.includes('node_modules/')
        ? (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? url)
        : url.startsWith('node:')
          ? url
          : path.relative(root, url.replace(/^file:\/\//, ''));
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${mod}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
  }
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / total) * 1000) / 10 }));
  return { totalMs: Math.round(total), modules: list(byModule), functions: list(byFn) };
}
