/**
 * The API process (`npm run api`). Scale it by running more of them behind a load balancer.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { env } from '../config/env';
import { createDb } from '../db/client';
import { ensureDatabase, runMigrations } from '../db/migrate';
import { startTracing } from '../telemetry/tracing';
import { createApp } from './app';
import { answerClientErrors } from './http/client-errors';
import { createLogger } from './http/logger';
import { ensureBootstrapAdmin } from './users/bootstrap';

/** How long a stopping API waits for requests in flight (a sign-off waits at most about 10 s). */
const SHUTDOWN_GRACE_MS = 20_000;

async function main(): Promise<void> {
  const config = env();
  const logger = createLogger(config.LOG_LEVEL, { base: { service: 'ltc-api' } });
  const tracing = await startTracing('ltc-api', config.OTEL_EXPORTER_OTLP_ENDPOINT, config.OTEL_SERVICE_NAME);
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for the API');
  if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for the API');
  await ensureDatabase(config.DATABASE_URL);
  await runMigrations(config.DATABASE_URL);
  const handle = createDb(config.DATABASE_URL, { max: config.DB_POOL_MAX });
  if (config.LTC_BOOTSTRAP_ADMIN_TOKEN)
    await ensureBootstrapAdmin(handle.db, config.LTC_BOOTSTRAP_ADMIN_TOKEN);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
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
  // SIGTERM: stop accepting connections, finish the requests in flight (idle keep-alive
  // connections are closed at once), then close the pools. A request still running after the
  // grace period is cut.
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api draining');
    server.close(async () => {
      await handle.close();
      await connection.close();
      await tracing?.shutdown();
      logger.info('api stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn('api: requests still in flight after the grace period; exiting');
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
