/**
 * The Temporal Web UI of the production-shaped stack (`npm run test:prod` starts it, with the UI
 * required, and sets LTC_PROD_STATE; skipped otherwise): the UI server built from
 * github.com/temporalio/ui-server/v2 answers on loopback, serves the web app, and reads the
 * Postgres-backed Temporal server (it lists the namespace and the deals' workflows).
 */
import fs from 'node:fs';

const stateFile = process.env.LTC_PROD_STATE;
const d = stateFile ? describe : describe.skip;

d('Temporal UI on the production-shaped stack', () => {
  const state = () =>
    JSON.parse(fs.readFileSync(stateFile as string, 'utf8')) as { uiUrl?: string; temporalAddress: string };

  test('it serves the web app and reads the stack’s Temporal server', async () => {
    const { uiUrl } = state();
    expect(uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${uiUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);

    const res = await fetch(`${uiUrl}/api/v1/namespaces`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { namespaces: { namespaceInfo: { name: string } }[] };
    expect(body.namespaces.map((n) => n.namespaceInfo.name)).toContain('default');

    const cluster = await fetch(`${uiUrl}/api/v1/cluster-info`);
    expect(cluster.status).toBe(200);
    expect(((await cluster.json()) as { serverVersion?: string }).serverVersion).toBe('1.29.1');
  });
});
