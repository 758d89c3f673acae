/**
 * What a browser test saw, for the day it fails: every request the pages sent (method, path,
 * status, time taken), every console message and page error, with the time since the test began.
 * On a failure `dump` writes it with a screenshot and the HTML of each open page under
 * `.data/test-artifacts/browser/<time>-<test>/`, so a step that missed its wait can be read after
 * the run (was the API slow, did it answer an error, or did the page not react?).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../../..');
const KEEP = 2_000;

export interface UiRecord {
  /** Starts a new test's record. */
  begin(): void;
  /** Writes the record, screenshots and HTML of `pages`; returns the folder. */
  dump(testName: string, pages: Page[], error: unknown): Promise<string>;
}

export function recordContext(context: BrowserContext): UiRecord {
  let t0 = Date.now();
  let lines: string[] = [];
  const started = new WeakMap<Request, number>();
  const add = (line: string) => {
    lines.push(`${String(Date.now() - t0).padStart(7)} ms  ${line}`);
    if (lines.length > KEEP) lines.splice(0, lines.length - KEEP);
  };
  const where = (r: Request) => {
    const u = new URL(r.url());
    return `${r.method()} ${u.pathname}${u.search}`;
  };
  const isApi = (r: Request) =>
    !/\/app\/assets\/|\.(js|css|svg|woff2?|png|ico)$/.test(new URL(r.url()).pathname);

  context.on('request', (r) => {
    started.set(r, Date.now());
    if (isApi(r)) add(`→ ${where(r)}`);
  });
  context.on('requestfinished', async (r) => {
    const took = Date.now() - (started.get(r) ?? Date.now());
    const res = await r.response().catch(() => null);
    if (isApi(r) || took > 1_000) add(`← ${res?.status() ?? '?'} ${where(r)} in ${took} ms`);
  });
  context.on('requestfailed', (r) => add(`✗ ${where(r)}: ${r.failure()?.errorText ?? 'failed'}`));
  context.on('console', (m) => add(`console.${m.type()}: ${m.text()}`));
  context.on('weberror', (e) => add(`page error: ${e.error().message}`));

  return {
    begin() {
      t0 = Date.now();
      lines = [];
    },
    async dump(testName, pages, error) {
      const slug = testName.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      const dir = path.join(ROOT, '.data/test-artifacts/browser', `${new Date().toISOString()}-${slug}`);
      fs.mkdirSync(dir, { recursive: true });
      add(`test failed: ${error instanceof Error ? error.message : String(error)}`);
      fs.writeFileSync(path.join(dir, 'record.log'), `${testName}\n\n${lines.join('\n')}\n`);
      for (const [i, page] of pages.entries()) {
        if (page.isClosed()) continue;
        await page.screenshot({ path: path.join(dir, `page-${i}.png`), fullPage: true }).catch(() => {});
        const html = await page.content().catch(() => '');
        fs.writeFileSync(path.join(dir, `page-${i}.html`), `<!-- ${page.url()} -->\n${html}`);
      }
      return dir;
    },
  };
}
