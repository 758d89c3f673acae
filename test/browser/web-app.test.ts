/**
 * The web app in a real browser (headless Chromium) against the real stack: the API app, a worker,
 * Temporal and Postgres. Each test makes its own deals; the org and the processes are this file's
 * (namespaced with world.ns).
 */
import { eq } from 'drizzle-orm';
import type { Locator, Page } from 'playwright-core';
import request from 'supertest';
import { apiTokens } from '../../db/schema';
import { definitionToYaml } from '../../web/src/features/processes/lib/definition-yaml';
import { dealApi } from '../integration/support/api';
import {
  applyDefinition,
  createOrg,
  createUser,
  eventually,
  loadDefaultDefinition,
  type TestUser,
  triangleOf,
} from '../integration/support/world';
import { type BrowserWorld, startBrowserWorld } from './support/browser-world';

jest.setTimeout(240_000);

let bw: BrowserWorld;
let org: Awaited<ReturnType<typeof createOrg>>;
let sr2: TestUser;
let processKey: string;
let lateKey: string;

// Stop-gap kept: a fresh-clone CI run (ff2827f) saw the two-people test's second Confirm send no
// request. Not a background tab (every page of this headless context is visible and focused, checked);
// the form now validates again when its validation was overtaken. A failed UI test runs again at most
// twice, its errors logged and its record kept, so a retry shows in the run's output.
jest.retryTimes(2, { logErrorsBeforeRetry: true });

const pages: Page[] = [];

beforeAll(async () => {
  bw = await startBrowserWorld();
  org = await createOrg(bw.world);
  sr2 = await createUser(bw.world, { id: 'sr2', name: 'Second SR', managerId: org.manager.id });
  const def = loadDefaultDefinition();
  processKey = (await applyDefinition(bw.world, def)).key;
  // The same process whose first stage is due a second after entry: its deals turn overdue at once.
  const late = {
    ...def,
    key: 'ltc-late',
    stages: def.stages.map((s, i) =>
      i === 0
        ? { ...s, sla: { within: '1s', escalate: [{ after: '0s', notify: ['manager' as const] }] } }
        : s,
    ),
  };
  lateKey = (await applyDefinition(bw.world, late)).key;
});

afterEach(async () => {
  for (const p of pages.splice(0)) await p.close().catch(() => {});
});

afterAll(async () => {
  await bw?.stop();
});

async function open(user: TestUser, route = '/', locale: 'en-US' | 'zh-CN' = 'en-US') {
  const page = await bw.open(user, route, locale);
  pages.push(page);
  return page;
}

async function newDeal(title: string, key = processKey, amount = 1_000_000) {
  const res = await dealApi(bw.world).createOn(org.manager, key, triangleOf(org), {
    title,
    value: { amount, currency: 'CNY' },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const api = () => dealApi(bw.world);

/** A test whose failure leaves its record: requests, console, a screenshot and the HTML of each page. */
function uiTest(name: string, fn: () => Promise<void>) {
  test(name, async () => {
    bw.record.begin();
    try {
      await fn();
    } catch (error) {
      const dir = await bw.record.dump(name, bw.browser.context.pages(), error);
      console.error(
        `[browser test] "${name}" failed: its requests, console, screenshots and HTML are in ${dir}`,
      );
      throw error;
    }
  });
}

/**
 * Pick an option of an Ant Design select and wait until its list has closed: a click that lands
 * while the list is still opening leaves it open over the next field (seen on a loaded machine), so
 * the pick is tried again until the list closes, within a deadline.
 */
async function choose(page: Page, field: Locator, option: string): Promise<void> {
  const open = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
  const deadline = Date.now() + 20_000;
  for (;;) {
    if ((await open.count()) === 0) await field.click();
    await open.locator('.ant-select-item-option', { hasText: option }).first().click();
    const closeBy = Date.now() + 3_000;
    while ((await open.count()) > 0 && Date.now() < closeBy) await page.waitForTimeout(100);
    if ((await open.count()) === 0) return;
    if (Date.now() > deadline) throw new Error(`the select did not take "${option}"`);
  }
}

uiTest(
  'sign-in as a member, a manager and ops: each lands on its screen; a sign-in link leaves no token in the URL; a 401 returns to sign-in',
  async () => {
    // A member signs in with the form and lands on My sign-offs.
    const member = await bw.browser.context.newPage();
    pages.push(member);
    await member.goto(`${bw.url}/app/`);
    await member.waitForURL(/\/app\/signin$/);
    await member.getByLabel('API token').fill(org.ar.token);
    await member.getByRole('button', { name: 'Sign in' }).click();
    await member.getByRole('heading', { name: 'My sign-offs' }).waitFor();
    expect(new URL(member.url()).pathname).toBe('/app/me/tasks');
    expect(await member.getByRole('navigation', { name: 'Main navigation' }).textContent()).not.toContain(
      'Pipeline',
    );

    // A manager follows a sign-in link: the board, and the token is gone from the address bar.
    const manager = await open(org.manager);
    await manager.getByRole('heading', { name: 'Pipeline' }).waitFor();
    expect(new URL(manager.url()).pathname).toBe('/app/pipeline');
    expect(manager.url()).not.toContain(org.manager.token);
    expect(await manager.evaluate('sessionStorage.getItem("ltc.token")')).toBe(org.manager.token);

    // Ops: the board too, and the process editor with Apply.
    const ops = await open(org.ops);
    await ops.getByRole('heading', { name: 'Pipeline' }).waitFor();
    await ops.getByRole('link', { name: 'Processes' }).click();
    await ops.getByRole('button', { name: 'Apply' }).waitFor();
    // A member reads the process editor without Apply.
    await member.getByRole('link', { name: 'Processes' }).click();
    await member.getByText('Read-only: only ops apply process definitions.').waitFor();
    expect(await member.getByRole('button', { name: 'Apply' }).count()).toBe(0);

    // A wrong token is refused with the API's reason.
    const stranger = await bw.browser.context.newPage();
    pages.push(stranger);
    await stranger.goto(`${bw.url}/app/signin`);
    await stranger.getByLabel('API token').fill('ltc_not-a-token');
    await stranger.getByRole('button', { name: 'Sign in' }).click();
    await stranger.getByRole('alert').filter({ hasText: 'This token was not accepted' }).waitFor();

    // The member's token is revoked: the next request returns them to sign-in with a message.
    await bw.world.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.userId, org.ar.id));
    try {
      await member.reload();
      await member.waitForURL(/\/app\/signin$/);
      await member.getByRole('alert').filter({ hasText: 'Your session has ended' }).waitFor();
      expect(await member.evaluate('sessionStorage.getItem("ltc.token")')).toBeNull();
    } finally {
      await bw.world.db.update(apiTokens).set({ revokedAt: null }).where(eq(apiTokens.userId, org.ar.id));
    }
  },
);

uiTest('a member approves one deal and rejects another with a reason from My sign-offs', async () => {
  const approveId = await newDeal(`Approve me ${bw.world.ns}`);
  const rejectId = await newDeal(`Reject me ${bw.world.ns}`);
  const page = await open(org.ar, '/me/tasks');

  const approveRow = page.locator(`tr[data-deal-id="${approveId}"]`);
  await approveRow.filter({ hasText: 'Lead' }).waitFor();
  await approveRow.getByRole('button', { name: 'Approve' }).click();
  // The deal moved on: its next stage waits on the AR again, in place.
  await approveRow.filter({ hasText: 'Opportunity initiation' }).waitFor();
  expect((await api().get(org.ar, approveId)).body.stage.key).toBe('ati');

  const rejectRow = page.locator(`tr[data-deal-id="${rejectId}"]`);
  await rejectRow.getByRole('button', { name: 'Reject' }).click();
  const dialog = page.getByRole('dialog');
  // A rejection needs a reason.
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await dialog.getByText('A reason is required').waitFor();
  const reason = 'The customer chose to build it in-house.\nNo budget this year.';
  await dialog.getByLabel('Reason for the rejection').fill(reason);
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await rejectRow.waitFor({ state: 'detached' });
  const rejected = await api().waitFor(org.ar, rejectId, { status: 'lost' });
  expect(rejected.status).toBe('lost');
  const timeline = await api().timeline(org.ar, rejectId);
  expect(timeline.find((e) => e.type === 'signoff.rejected')).toMatchObject({
    actorId: org.ar.id,
    data: { role: 'AR', comment: reason },
  });
});

uiTest('a manager finds an overdue deal on the board, opens it and reassigns a role', async () => {
  const title = `Overdue ${bw.world.ns}`;
  const id = await newDeal(title, lateKey);
  await eventually(async () => (await api().get(org.manager, id)).body.stage?.escalationLevel >= 1, 30_000);

  const page = await open(org.manager, `/pipeline?process=${encodeURIComponent(lateKey)}`);
  await page.getByRole('heading', { name: 'Pipeline' }).waitFor();
  await page.getByRole('checkbox', { name: 'Overdue only' }).click();
  await page.waitForURL(/overdue=1/);
  const card = page.locator(`.deal-card[data-deal-id="${id}"]`);
  await card.locator('[data-badge="overdue"]').waitFor();
  await card.locator('[data-badge="escalated"]').waitFor();
  await card.getByRole('link', { name: title }).click();

  await page.waitForURL(new RegExp(`/app/deals/${id}$`));
  await page.getByTestId('current-stage').filter({ hasText: 'Lead' }).waitFor();
  await page.getByRole('button', { name: 'Reassign' }).click();
  const dialog = page.getByRole('dialog');
  await choose(page, dialog.getByLabel('Role'), 'SR (solution)');
  await choose(page, dialog.getByLabel('New holder'), sr2.id);
  await dialog.getByLabel('Reason').fill('Chen is on leave for a month.');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('triangle').locator('[data-role="SR"]').filter({ hasText: 'Second SR' }).waitFor();
  await page.getByTestId('timeline').locator('[data-type="role.reassigned"]').waitFor();
  expect((await api().get(org.manager, id)).body.triangle.SR).toBe(sr2.id);
});

uiTest('ops validate a broken definition (the error on its line), fix it and apply it', async () => {
  const latest = await request(bw.world.app).get(`/process-definitions/${processKey}`).set(org.ops.auth);
  const yaml = definitionToYaml(latest.body.definition);
  const broken = yaml.replace('within: 5d', 'within: 5 days');
  const brokenLine = broken.split('\n').findIndex((l) => l.includes('within: 5 days')) + 1;
  expect(brokenLine).toBeGreaterThan(1);

  const page = await open(org.ops, '/processes');
  await page.getByRole('button', { name: new RegExp(processKey) }).click();
  await page.getByRole('button', { name: new RegExp(processKey), pressed: true }).waitFor();
  const editor = page.getByRole('textbox', { name: 'YAML editor for the process definition' });
  await editor.filter({ hasText: `key: ${processKey}` }).waitFor();
  const replaceText = async (text: string) => {
    await editor.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(text);
  };
  await replaceText(broken);
  await page.getByRole('button', { name: 'Validate' }).click();
  const error = page.getByTestId('validation-errors').locator('li').first();
  await error.waitFor();
  expect(await error.textContent()).toMatch(
    new RegExp(`^Line ${brokenLine}: stages\\[0\\]\\.sla\\.within: `),
  );
  expect(await error.getAttribute('data-line')).toBe(String(brokenLine));
  // The editor marks the line too, and shows it.
  await page.locator('.cm-line', { hasText: 'within: 5 days' }).locator('.cm-lintRange-error').waitFor();

  await replaceText(yaml.replace('within: 5d', 'within: 6d'));
  await page.getByRole('button', { name: 'Validate' }).click();
  await page
    .getByTestId('validation')
    .filter({ hasText: /^Valid/ })
    .waitFor();
  await page.getByRole('button', { name: 'Diff against the latest version' }).click();
  await page.getByTestId('yaml-diff').filter({ hasText: 'within: 6d' }).waitFor();
  await page.getByRole('button', { name: 'Apply' }).click();
  // The list shows the new version (the toast says "Applied as version N" for a moment).
  await page.getByRole('button', { name: `${processKey} · v${latest.body.version + 1}` }).waitFor();
  const after = await request(bw.world.app).get(`/process-definitions/${processKey}`).set(org.ops.auth);
  expect(after.body.version).toBe(latest.body.version + 1);
  expect(after.body.definition.stages[0].sla.within).toBe('6d');
});

uiTest('the language switch changes every label, and stage names follow the definition', async () => {
  await newDeal(`Language ${bw.world.ns}`);
  const page = await open(org.manager, `/pipeline?process=${encodeURIComponent(processKey)}`);
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await nav.getByRole('link', { name: 'Pipeline' }).waitFor();
  await page.locator('.board__column[data-stage="lead"] h2').filter({ hasText: 'Lead' }).waitFor();
  try {
    await page.getByText('中文', { exact: true }).click();
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '商机看板' }).waitFor();
    await page.getByRole('heading', { name: '商机看板', level: 1 }).waitFor();
    await page.locator('.board__column[data-stage="lead"] h2').filter({ hasText: '线索' }).waitFor();
    await page.locator('.board__column[data-stage="ati"] h2').filter({ hasText: '立项决策' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    // The choice is kept across a reload.
    await page.reload();
    await page.getByRole('heading', { name: '商机看板', level: 1 }).waitFor();
    await page.getByText('EN', { exact: true }).click();
    await page.getByRole('heading', { name: 'Pipeline', level: 1 }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en-US');
  } finally {
    await page.evaluate(`localStorage.removeItem('ltc.locale')`);
  }
});

uiTest(
  'two people act at once: the second gets the API’s 409 detail and sees the deal’s real state',
  async () => {
    const id = await newDeal(`Conflict ${bw.world.ns}`);
    const opsPage = await open(org.ops, `/deals/${id}`);
    const mgrPage = await open(org.manager, `/deals/${id}`);

    // Ops start to put the deal on hold...
    await opsPage.getByRole('button', { name: 'Put on hold' }).click();
    const opsDialog = opsPage.getByRole('dialog');
    await opsDialog.getByLabel('Reason').fill('Waiting for the customer’s budget.');
    // ...while the manager does it first.
    await mgrPage.getByRole('button', { name: 'Put on hold' }).click();
    const mgrDialog = mgrPage.getByRole('dialog');
    await mgrDialog.getByLabel('Reason').fill('Customer asked to pause.');
    await mgrDialog.getByRole('button', { name: 'Confirm' }).click();
    await mgrPage.locator('.deal-page[data-status="on_hold"]').waitFor();
    await api().waitFor(org.manager, id, { status: 'on_hold' });

    await opsDialog.getByRole('button', { name: 'Confirm' }).click();
    const refusal = opsPage.getByTestId('manager-actions').getByRole('alert');
    await refusal.waitFor();
    const same = await request(bw.world.app)
      .post(`/deals/${id}/hold`)
      .set(org.ops.auth)
      .send({ reason: 'again' });
    expect(same.status).toBe(409);
    expect(await refusal.textContent()).toContain(same.body.detail);
    // The page shows the real state: on hold, with Resume.
    await opsPage.locator(`.deal-page[data-status="on_hold"]`).waitFor();
    await opsPage.getByRole('button', { name: 'Resume' }).waitFor();
  },
);
