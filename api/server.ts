/**
 * The API process (`npm run api`). Scale it by running more of them behind a load balancer.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { env } from '../config/env';
import { createDb } from '../db/client';
import { ensureDatabase, runMigrations } from '../db/migrate';
import { createApp } from './app';
import { answerClientErrors } from './http/client-errors';
import { createLogger } from './http/logger';
import { ensureBootstrapAdmin } from './users/bootstrap';

async function main(): Promise<void> {
  const config = env();
  const logger = createLogger(config.LOG_LEVEL);
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for the API');
  if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for the API');
  await ensureDatabase(config.DATABASE_URL);
  await runMigrations(config.DATABASE_URL);
  const handle = createDb(config.DATABASE_URL, { max: 20 });
  if (config.LTC_BOOTSTRAP_ADMIN_TOKEN)
    await ensureBootstrapAdmin(handle.db, config.LTC_BOOTSTRAP_ADMIN_TOKEN);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const { app } = createApp({
    db: handle.db,
    temporal,
    logger,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    namespace: config.TEMPORAL_NAMESPACE,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    rateLimitReadsPerMinute: config.RATE_LIMIT_READS_PER_MINUTE,
    rateLimitFailedAuthPerMinute: config.RATE_LIMIT_FAILED_AUTH_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
    webhookPolicy: { allowHosts: config.WEBHOOK_ALLOW_HOSTS },
    webDir: path.resolve(__dirname, '..', 'web', 'dist'),
  });
  const server = answerClientErrors(
    app.listen(config.PORT, () => {
      logger.info({ port: config.PORT }, 'api ready');
    }),
  );
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(async () => {
      await handle.close();
      await connection.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
