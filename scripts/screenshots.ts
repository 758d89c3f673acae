/**
 * `npm run screenshots`: a PNG of each screen in docs/screenshots/, taken in headless Chromium
 * against a throwaway stack seeded with the demo data (scripts/stack/demo-stack.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { definitionToYaml } from '../web/src/features/processes/lib/definition-yaml';
import { ensureCjkFont, launchChromium } from './stack/chromium';
import { startDemoStack } from './stack/demo-stack';

const OUT = path.resolve(__dirname, '..', 'docs', 'screenshots');
const log = (msg: string) => console.log(`[screenshots] ${msg}`);

async function main(): Promise<void> {
  ensureCjkFont(log);
  const stack = await startDemoStack('shots', log);
  const browser = await launchChromium({ log });
  try {
    fs.mkdirSync(OUT, { recursive: true });
    const { tokens } = stack.seed;
    const app = `${stack.apiUrl}/app`;
    const shot = async (page: Page, name: string, fullPage = false) => {
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage });
      log(`wrote docs/screenshots/${name}.png`);
    };
    /** A tab signed in as `user` (the sign-in link), in `locale`. */
    const as = async (user: string, locale: 'en-US' | 'zh-CN', route: string) => {
      const page = await browser.context.newPage();
      await page.goto(`${app}/`);
      await page.evaluate(`localStorage.setItem('ltc.locale', '${locale}')`);
      await page.goto(`${app}${route}#token=${tokens[user]}`);
      return page;
    };

    const signIn = await browser.context.newPage();
    await signIn.goto(`${app}/`);
    await signIn.getByLabel(/API token|API 令牌/).waitFor();
    await shot(signIn, '01-sign-in');

    const board = await as('mgr-wang', 'zh-CN', '/pipeline');
    await board.locator('.deal-card').first().waitFor();
    await shot(board, '02-pipeline-board-zh');

    const boardEn = await as('vp-zhao', 'en-US', '/pipeline');
    await boardEn.locator('.deal-card').first().waitFor();
    await shot(boardEn, '03-pipeline-board-en');
    await boardEn.goto(`${app}/pipeline?view=list&status=all&sort=due&order=ascend`);
    await boardEn.getByTestId('deal-table').waitFor();
    await shot(boardEn, '04-pipeline-list');
    await boardEn.goto(`${app}/pipeline?overdue=1`);
    await boardEn.locator('[data-badge="overdue"]').first().waitFor();
    await shot(boardEn, '05-pipeline-overdue');

    // A deal with a reworked stage, a reassignment and an amendment on its timeline.
    const xiamen = await as('mgr-sun', 'en-US', '/pipeline?q=Xiamen');
    await xiamen.getByRole('link', { name: /Core network refresh/ }).click();
    await xiamen.getByTestId('timeline').waitFor();
    await shot(xiamen, '06-deal-manager', true);

    const tasks = await as('sr-chen', 'en-US', '/me/tasks');
    await tasks.getByTestId('tasks').waitFor();
    await shot(tasks, '07-my-signoffs');
    await tasks.getByTestId('inbox').click();
    await tasks.locator('.inbox').waitFor();
    await tasks.waitForTimeout(500); // the popover's fade-in
    await shot(tasks, '08-inbox');
    await tasks.keyboard.press('Escape');
    await tasks.getByTestId('tasks').getByRole('link').first().click();
    await tasks.getByTestId('my-signoff').waitFor();
    await shot(tasks, '09-deal-member', true);

    const ops = await as('ops-liu', 'en-US', '/processes');
    const editor = ops.getByRole('textbox', { name: 'YAML editor for the process definition' });
    await editor.filter({ hasText: 'key: ltc-standard' }).waitFor();
    // Break the first stage's deadline and validate: the error is marked on its line.
    const latest = await fetch(`${stack.apiUrl}/process-definitions/ltc-standard`, {
      headers: { Authorization: `Bearer ${tokens['ops-liu']}` },
    }).then((r) => r.json() as Promise<{ definition: unknown }>);
    await editor.click();
    await ops.keyboard.press('Control+a');
    await ops.keyboard.insertText(
      definitionToYaml(latest.definition).replace('within: 5d', 'within: 5 days'),
    );
    await ops.getByRole('button', { name: 'Validate' }).click();
    await ops.getByTestId('validation-errors').waitFor();
    await shot(ops, '10-process-editor-error');
    await ops.getByRole('button', { name: /Diff against the latest/ }).click();
    await ops.getByTestId('yaml-diff').waitFor();
    await shot(ops, '11-process-diff');

    const reports = await as('vp-zhao', 'en-US', '/reports');
    await reports.locator('.recharts-surface').first().waitFor();
    await shot(reports, '12-reports', true);
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
