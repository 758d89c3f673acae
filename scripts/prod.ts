/**
 * `npm run stack:prod`: the production-shaped topology on this machine (see scripts/stack/prod.ts):
 * a Temporal server built from Go modules and persisted in Postgres, two workers and two API
 * processes behind one port. Postgres: DATABASE_URL's server (default: the machine's, on
 * 127.0.0.1:5432). Data is kept between runs (databases `ltc_prod`, `ltc_prod_temporal`,
 * `ltc_prod_temporal_visibility`). Ctrl-C stops everything gracefully.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isPortOpen } from './stack/ports';
import { startProdStack } from './stack/prod';

const root = path.resolve(__dirname, '..');
const log = (msg: string) => console.log(`[stack:prod] ${msg}`);

async function main(): Promise<void> {
  const dataDir = path.resolve(root, process.env.DATA_DIR ?? '.data');
  fs.mkdirSync(dataDir, { recursive: true });
  const tokenFile = path.join(dataDir, 'prod-admin-token');
  const token =
    process.env.LTC_BOOTSTRAP_ADMIN_TOKEN ??
    (fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : randomBytes(24).toString('hex'));
  fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const stack = await startProdStack({
    name: 'ltc_prod',
    dataDir,
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    port: Number(process.env.PORT ?? 3000),
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'ltc-deals',
    temporalPort: process.env.PROD_TEMPORAL_PORT ? Number(process.env.PROD_TEMPORAL_PORT) : undefined,
    env: { LTC_BOOTSTRAP_ADMIN_TOKEN: token, PUBLIC_URL: process.env.PUBLIC_URL ?? '' },
    ui: process.env.PROD_TEMPORAL_UI === '0' ? 'off' : 'try',
    // 8080 as in docker-compose.yml when free, else any free port (printed below).
    uiPort: process.env.PROD_TEMPORAL_UI_PORT
      ? Number(process.env.PROD_TEMPORAL_UI_PORT)
      : (await isPortOpen(8080))
        ? 0
        : 8080,
    log,
  });
  log(`API (2 processes behind one port): ${stack.url}   docs: ${stack.url}/docs`);
  log(
    `Temporal frontend: ${stack.temporalAddress}   Temporal UI: ${stack.uiUrl ?? 'none (see above why; PROD_TEMPORAL_UI=0 turns it off)'}`,
  );
  log(`admin token (user admin): in ${path.relative(root, tokenFile)}`);
  log(
    `logs: ${path.relative(root, path.join(dataDir, 'ltc_prod-logs'))}/, Temporal: ${path.relative(root, path.join(dataDir, 'ltc_prod-temporal', 'temporal-server.log'))}`,
  );
  log('Ctrl-C to stop');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping (APIs finish their requests, workers drain)...');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
