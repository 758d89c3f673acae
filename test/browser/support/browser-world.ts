/**
 * The real stack for browser tests: the integration world (API app, worker, Temporal, Postgres)
 * with the built web app served by the same express app on a free port, and headless Chromium.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { type Browser, launchChromium } from '../../../scripts/stack/chromium';
import { WEB_DIST } from '../../../scripts/web-build';
import { startWorld, type TestUser, type World } from '../../integration/support/world';
import { recordContext, type UiRecord } from './ui-record';

export interface BrowserWorld {
  world: World;
  /** http://127.0.0.1:<port> */
  url: string;
  browser: Browser;
  /** Requests, console and page errors of the browser's pages, dumped when a test fails. */
  record: UiRecord;
  /** A new tab signed in as `user` through a sign-in link, on `route` (under /app). */
  open(user: TestUser, route?: string, locale?: 'en-US' | 'zh-CN'): Promise<Page>;
  stop(): Promise<void>;
}

export const UI_TIMEOUT = 30_000;

export async function startBrowserWorld(): Promise<BrowserWorld> {
  const world = await startWorld({ webDir: WEB_DIST });
  const server: Server = world.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  browser.context.setDefaultTimeout(UI_TIMEOUT);
  const record = recordContext(browser.context);
  return {
    world,
    url,
    browser,
    record,
    async open(user, route = '/', locale = 'en-US') {
      const page = await browser.context.newPage();
      await page.goto(`${url}/app/signin`);
      await page.evaluate(`localStorage.setItem('ltc.locale', '${locale}')`);
      await page.goto(`${url}/app${route}#token=${user.token}`);
      return page;
    },
    async stop() {
      await browser.close();
      await new Promise((r) => server.close(r));
      await world.stop();
    },
  };
}
