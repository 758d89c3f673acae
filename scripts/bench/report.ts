/** The markdown table and the SVG chart of a `npm run bench` result. */
import type { Stats } from './common';
import type { OpenDealFigures } from './open-deals';
import type { ReadFigures } from './reads';
import type { SignoffFigures } from './signoff';
import type { StartupFigures } from './startup';

export interface Machine {
  host: string;
  cores: number;
  cpu: string;
  memoryGb: number;
  loadAvg: number[];
  node: string;
  temporal: string;
  postgres: string;
}

export interface BenchResult {
  at: string;
  quick: boolean;
  machine: Machine;
  seconds: number;
  signoff?: SignoffFigures;
  openDeals?: OpenDealFigures;
  reads?: ReadFigures;
  startup?: StartupFigures;
  /** With BENCH_PROFILE=1: self time of the worker's and the API's hottest modules and functions. */
  profiles?: Record<
    string,
    { file: string; totalMs: number; modules: ProfileRow[]; functions: ProfileRow[] }
  >;
  errors: { section: string; error: string }[];
}

type ProfileRow = { name: string; ms: number; share: number };

const f = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d);
const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

export function markdown(r: BenchResult): string {
  const m = r.machine;
  const out: string[] = [
    `### ${r.quick ? 'Quick run' : 'Full run'}, ${r.at.slice(0, 16).replace('T', ' ')} UTC, ${r.seconds} s`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, load ${m.loadAvg.map((x) => x.toFixed(1)).join(' ')} at start; ` +
      `Node ${m.node}; ${m.temporal}; ${m.postgres}.`,
    '',
  ];
  const s = r.signoff;
  if (s) {
    const b = s.serial.bare;
    const row = (name: string, x: Stats, tput?: number) =>
      `| ${name} | ${f(x.p50)} | ${f(x.p99)} | ${f(ratio(x.p50, b.p50), 2)}× | ${f(ratio(x.p99, b.p99), 2)}× | ${tput === undefined ? '' : `${f(tput, 0)}/s`} | ${tput === undefined ? '' : `${f(ratio(tput, s.throughput.bare), 2)}×`} |`;
    out.push(
      `**Sign-off** (${s.serial.calls} serial calls each; throughput with ${s.throughput.concurrency} workflows in flight × ${s.throughput.perWorkflow})`,
      '',
      '| | p50 ms | p99 ms | p50 ratio | p99 ratio | throughput | ratio |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      row('bare Update (baseline)', b, s.throughput.bare),
      row('sign-off Update, straight to the workflow', s.serial.update, s.throughput.update),
      row('**sign-off over HTTP**', s.serial.http, s.throughput.http),
      row('  completing a stage, Update', s.serial.updateCompleting),
      row('  completing a stage, HTTP', s.serial.httpCompleting),
      `| (one Postgres commit) | ${f(s.pgCommit.p50)} | ${f(s.pgCommit.p99)} | | | | |`,
      ...(s.split
        ? [
            `| (workflow task in the worker, bare) | ${f(s.split.bare.worker.p50)} | ${f(s.split.bare.worker.p99)} | | | | |`,
            `| (workflow task in the worker, sign-off) | ${f(s.split.update.worker.p50)} | ${f(s.split.update.worker.p99)} | | | | |`,
            `| (task waiting in Temporal's queue, bare / sign-off) | ${f(s.split.bare.queue.p50)} / ${f(s.split.update.queue.p50)} | ${f(s.split.bare.queue.p99)} / ${f(s.split.update.queue.p99)} | | | | |`,
          ]
        : []),
      '',
      `Targets: HTTP p50 ≤ 1.5× ${verdict(ratio(s.serial.http.p50, b.p50) <= 1.5)}, p99 ≤ 2× ${verdict(ratio(s.serial.http.p99, b.p99) <= 2)}, ` +
        `throughput ≥ 0.6× ${verdict(ratio(s.throughput.http, s.throughput.bare) >= 0.6)}. ` +
        `Completing sign-offs answering with the next stage: ${s.completingAnsweredNextStage.ok}/${s.completingAnsweredNextStage.of}; ` +
        `409s retried: ${s.retried409}${s.retried503 ? `; 503s retried with the same Idempotency-Key (overloaded): ${s.retried503}` : ''}. Deal creation over HTTP (8 clients): ${f(s.dealCreation.perSecond)}/s, ` +
        `p50 ${f(s.dealCreation.latency.p50)} ms.`,
      '',
    );
  }
  const o = r.openDeals;
  if (o) {
    out.push(
      `**Open deals** (${o.deals.toLocaleString('en')} deals waiting on sign-offs, deadlines spread over ${o.deadlineSpreadS} s, worker maxCachedWorkflows ${o.maxCachedWorkflows})`,
      '',
      '| | figure | target |',
      '| --- | --- | --- |',
      `| created over HTTP (8 clients) | ${f(o.create.seconds)} s, ${f(o.create.perSecond)}/s, p50 ${f(o.create.latency.p50)} ms, p99 ${f(o.create.latency.p99)} ms${o.create.failed ? `, ${o.create.failed} failed` : ''} | |`,
      `| worker peak RSS | ${o.workerRss.peakSampledMb} MB sampled, ${o.workerRss.highWaterMb} MB high-water (${o.workerRss.atStartMb} MB before) | ≤ 1024 MB ${verdict(o.workerRss.highWaterMb <= 1024)} |`,
      `| escalated | ${o.escalated} of ${o.deals - o.create.failed} (${o.dueDuringCreation} came due during creation) | all |`,
      `| due → \`stage.escalated\` recorded | p50 ${f(o.lagRecorded.p50, 0)} ms, p99 ${f(o.lagRecorded.p99, 0)} ms, max ${f(o.lagRecorded.max, 0)} ms | p99 ≤ 2 s ${verdict(o.lagRecorded.p99 <= 2000)} |`,
      `| due → readable in Postgres (+≤250 ms polling) | p50 ${f(o.lagReadable.p50, 0)} ms, p99 ${f(o.lagReadable.p99, 0)} ms, max ${f(o.lagReadable.max, 0)} ms | |`,
      ...(o.lagReadableDuringCreation?.n
        ? [
            `|   of those due during creation | p50 ${f(o.lagReadableDuringCreation.p50, 0)} ms, p99 ${f(o.lagReadableDuringCreation.p99, 0)} ms, max ${f(o.lagReadableDuringCreation.max, 0)} ms | |`,
          ]
        : []),
      ...(o.unseen?.length
        ? [
            `| escalations not seen (up to 5) | ${o.unseen.map((u) => `${u.dealId} due ${u.dueAt ?? '–'}, in Postgres at the end: ${u.escalatedAt ?? 'no'}`).join('; ')} | |`,
          ]
        : []),
      '',
    );
  }
  const rd = r.reads;
  if (rd) {
    out.push(
      `**Reads** (${rd.deals.toLocaleString('en')} deals and ${rd.stageVisits.toLocaleString('en')} stage visits inserted in ${f(rd.insertSeconds)} s; 50 users in 3 levels; the manager sees ${rd.managerVisible} deals; ${rd.calls} calls each over HTTP)`,
      '',
      '| endpoint | as | p50 ms | p99 ms | target |',
      '| --- | --- | --- | --- | --- |',
      ...rd.endpoints.map(
        (e) =>
          `| ${e.name} | ${e.as} | ${f(e.stats.p50)} | ${f(e.stats.p99)} | ≤ ${e.target} ${verdict(e.stats.p99 <= e.target)} |`,
      ),
      '',
    );
    for (const p of rd.plans) {
      out.push(
        `${p.endpoint} as ${p.as} ran ${p.statements} SQL statements (${f(p.totalMs, 2)} ms in Postgres under EXPLAIN ANALYZE); ` +
          `the slowest took ${f(p.executionMs, 2)} ms, indexes: ${p.indexes.join(', ') || 'none'}:`,
        '',
        '```',
        p.query.length > 600 ? `${p.query.slice(0, 600)}…` : p.query,
        '',
        ...p.plan.split('\n').slice(0, 40),
        '```',
        '',
      );
    }
    if (rd.indexes.length)
      out.push('Indexes used:', '', ...rd.indexes.map((i) => `- \`${i.definition}\``), '');
  }
  const st = r.startup;
  if (st) {
    out.push(
      '**Start-up**',
      '',
      '| | /readyz answers | "ready" printed | target |',
      '| --- | --- | --- | --- |',
      ...st.starts.map(
        (x) =>
          `| \`npm start\`, ${x.kind} start | ${x.readyzMs === null ? '–' : `${f(x.readyzMs / 1000)} s`} | ${x.readyLineMs === null ? '–' : `${f(x.readyLineMs / 1000)} s`} | ≤ 10 s ${verdict((x.readyLineMs ?? Number.POSITIVE_INFINITY) <= 10_000)} |`,
      ),
      `| worker bundling (alone) | ${f(st.bundleMs / 1000)} s | | |`,
      '',
    );
  }
  for (const [name, p] of Object.entries(r.profiles ?? {})) {
    out.push(
      `**CPU profile of the ${name}** (${p.file}, ${p.totalMs} ms sampled; self time)`,
      '',
      '| module | ms | share | | function | ms | share |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...p.modules.map((m, i) => {
        const fn = p.functions[i];
        return `| ${m.name} | ${m.ms} | ${m.share} % | | ${fn ? `\`${fn.name}\`` : ''} | ${fn?.ms ?? ''} | ${fn ? `${fn.share} %` : ''} |`;
      }),
      '',
    );
  }
  for (const e of r.errors) out.push(`Section ${e.section} failed: ${e.error}`, '');
  return out.join('\n');
}

/** Sign-off latency against the bare Update: p50 and p99 bars, ratios written on them. */
export function signoffSvg(r: BenchResult): string | undefined {
  const s = r.signoff;
  if (!s) return undefined;
  const rows: { label: string; x: Stats }[] = [
    { label: 'bare Update', x: s.serial.bare },
    { label: 'sign-off Update', x: s.serial.update },
    { label: 'sign-off over HTTP', x: s.serial.http },
    { label: 'completing, HTTP', x: s.serial.httpCompleting },
  ];
  const max = Math.max(...rows.map((q) => q.x.p99), s.serial.bare.p99 * 2);
  const W = 760;
  const left = 150;
  const barW = W - left - 170;
  const scale = (v: number) => (v / max) * barW;
  const rowH = 46;
  const top = 44;
  const H = top + rows.length * rowH + 40;
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>Sign-off latency over HTTP against a bare Temporal Update: p50 and p99</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Sign-off latency against a bare Temporal Update (${s.serial.calls} serial calls)</text>`,
    `<text x="10" y="36" fill="#555">${esc(`${r.machine.cores} cores, ${r.machine.temporal}, ${r.at.slice(0, 10)}${r.quick ? ', quick run' : ''}`)}</text>`,
  ];
  const b = s.serial.bare;
  // Target lines: 1.5× bare p50 and 2× bare p99.
  for (const [v, label, color] of [
    [b.p50 * 1.5, 'p50 target 1.5×', '#1f77b4'],
    [b.p99 * 2, 'p99 target 2×', '#d62728'],
  ] as const) {
    const x = left + scale(v);
    parts.push(
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + rows.length * rowH}" stroke="${color}" stroke-dasharray="4 3"/>`,
      `<text x="${x + 3}" y="${top + rows.length * rowH + 14}" fill="${color}" font-size="11">${label}</text>`,
    );
  }
  rows.forEach((q, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text x="10" y="${y + 22}">${esc(q.label)}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${scale(q.x.p50)}" height="16" fill="#1f77b4"/>`,
      `<text x="${left + scale(q.x.p50) + 4}" y="${y + 16}">p50 ${q.x.p50.toFixed(1)} ms${i ? ` (${(q.x.p50 / b.p50).toFixed(2)}×)` : ''}</text>`,
      `<rect x="${left}" y="${y + 22}" width="${scale(q.x.p99)}" height="16" fill="#d62728" fill-opacity="0.8"/>`,
      `<text x="${left + scale(q.x.p99) + 4}" y="${y + 34}">p99 ${q.x.p99.toFixed(1)} ms${i ? ` (${(q.x.p99 / b.p99).toFixed(2)}×)` : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
