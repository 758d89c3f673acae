/**
 * Browser tests: the integration set-up (the workflow bundle), plus Chromium (installed with
 * apt-get when missing) and the web app (built only when its sources changed, so CI builds once).
 */
import { ensureChromium } from '../../scripts/stack/chromium';
import { ensureWebBuild } from '../../scripts/web-build';
import integrationSetup from '../integration/global-setup';

export default async function globalSetup(): Promise<void> {
  const log = (msg: string) => console.log(`[browser tests] ${msg}`);
  ensureChromium(log);
  await ensureWebBuild(log);
  // Both projects may run: bundle the workflows once per run.
  if (!process.env.LTC_WORKFLOW_BUNDLE) await integrationSetup();
}
