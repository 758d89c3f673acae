/**
 * `npm run bench:board`: how long the pipeline board takes to show 1,000 deals in headless Chromium.
 * On a throwaway stack with the demo users (scripts/stack/demo-stack.ts), ops apply a copy of the
 * default process as `ltc-bench`, 1,000 deals are created on it over HTTP (8 clients), then the
 * board `?process=ltc-bench` is opened RUNS times (a fresh tab each, the JS cached after the
 * first) and timed from navigation start until all 1,000 cards are in the page.
 */
import { performance } from 'node:perf_hooks';
import { launchChromium } from './stack/chromium';
import { startDemoStack } from './stack/demo-stack';

const DEALS = Number(process.env.DEALS ?? 1000);
const RUNS = Number(process.env.RUNS ?? 5);
const log = (msg: string) => console.log(`[bench:board] ${msg}`);

async function main(): Promise<void> {
  const stack = await startDemoStack('board', log, { withDeals: false });
  const browser = await launchChromium({ log });
  try {
    const { tokens } = stack.seed;
    const call = async (user: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(stack.apiUrl + path, {
        method,
        headers: { Authorization: `Bearer ${tokens[user]}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const latest = await call('ops-liu', 'GET', '/process-definitions/ltc-standard');
    await call('ops-liu', 'POST', '/process-definitions', {
      ...(latest.definition as object),
      key: 'ltc-bench',
      name: { en: 'Board benchmark', zh: '看板基准' },
    });
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < DEALS; i = next++) {
          const team =
            i % 2
              ? { AR: 'ar-zhou', SR: 'sr-wu', FR: 'fr-huang' }
              : { AR: 'ar-li', SR: 'sr-chen', FR: 'fr-zhang' };
          await call('ops-liu', 'POST', '/deals', {
            title: `Bench deal ${i + 1}`,
            account: { name: `Account ${i % 97}` },
            value: { amount: 100_000 + i * 1000, currency: 'CNY' },
            triangle: team,
            process: { key: 'ltc-bench' },
          });
        }
      }),
    );
    log(`${DEALS} deals created in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const url = `${stack.apiUrl}/app/pipeline?process=ltc-bench`;
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const page = await browser.context.newPage();
      await page.goto(`${url}#token=${tokens['ops-liu']}`, { waitUntil: 'commit' });
      // A function, not a string: the app's CSP forbids eval.
      const cards = (n: number) =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll('.deal-card').length >= n;
      await page.waitForFunction(cards, DEALS, { timeout: 120_000, polling: 50 });
      const ms = (await page.evaluate('performance.now()')) as number;
      times.push(ms);
      log(`run ${run + 1}: ${DEALS} cards shown ${Math.round(ms)} ms after navigation start`);
      await page.close();
    }
    const sorted = [...times].sort((a, b) => a - b);
    log(
      `board with ${DEALS} deals: first (cold) ${Math.round(times[0])} ms, median ${Math.round(sorted[Math.floor(sorted.length / 2)])} ms, ` +
        `max ${Math.round(sorted[sorted.length - 1])} ms over ${RUNS} runs`,
    );
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
