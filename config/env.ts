import { isIP } from 'node:net';
import { z } from 'zod';
import { parseAllowHosts } from '../notifications/webhook-target';

/**
 * Configuration, parsed and validated once at start. A bad value stops the program with a message
 * naming the variable. Every entry point (worker, API, dev stack, tests) reads config through here.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

/** An entry of express's `trust proxy` list: an address, a subnet (`10.0.0.0/8`), or a named range. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

const port = z.coerce.number().int().min(1).max(65535);

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('ltc-deals'),
  TEMPORAL_UI_URL: optionalString,
  DATA_DIR: z.string().min(1).default('.data'),
  LTC_BOOTSTRAP_ADMIN_TOKEN: optionalString.pipe(
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  PUBLIC_URL: optionalString,
  SMTP_URL: optionalString,
  SMTP_FROM: z.string().default('Iron Triangle LTC <ltc@localhost>'),
  /** Notification delivery retries: first retry after this, doubling up to the max interval, for the budget. */
  NOTIFY_RETRY_INITIAL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  NOTIFY_RETRY_MAX_INTERVAL_MS: z.coerce.number().int().min(1_000).default(300_000),
  NOTIFY_RETRY_BUDGET_MS: z.coerce.number().int().min(1_000).default(3_600_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  RATE_LIMIT_READS_PER_MINUTE: z.coerce.number().int().positive().default(3000),
  RATE_LIMIT_FAILED_AUTH_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /** Express `trust proxy`: `true`, a hop count, or proxy addresses / subnets / `loopback` etc., comma-separated. */
  TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .max(2000)
      .refine(
        (v) => /^(true|false|\d+)$/.test(v) || v.split(',').every((part) => isProxyAddress(part.trim())),
        'true, false, a hop count, or comma-separated proxy addresses, subnets, loopback, linklocal, uniquelocal',
      )
      .transform((v): boolean | number | string =>
        v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
      )
      .optional(),
  ),
  /** A workflow bundle built by `npm run build:workflows`; unset: the worker bundles `workflows/` at start. */
  WORKFLOW_BUNDLE_PATH: optionalString,
  /**
   * Worker tuning (defaults chosen for 2 cores; see the README's Configuration). The sticky cache
   * holds the deals being worked on; 1000 keeps a worker of 10,000 open deals well under 1 GB.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(1000),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(10),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(20),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(20),
  /** Worker: a file touched every 10 s while the worker runs (container health checks). */
  WORKER_HEALTH_FILE: optionalString,
  /** Postgres connections per process (API or worker). */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** OTLP/HTTP endpoint for traces (e.g. http://collector:4318); unset: no tracing export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  OTEL_SERVICE_NAME: optionalString,
  /** Hosts (`host` or `host:port`, comma-separated) webhooks may reach although they are not public. */
  WEBHOOK_ALLOW_HOSTS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        return parseAllowHosts(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
});

/**
 * The dev stack's own settings (`npm start`, `npm test`, the benchmark). Kept out of the API's and
 * the worker's schema: in production those never read them (and Kubernetes, for one, sets
 * `TEMPORAL_PORT=tcp://…` for a Service named `temporal`).
 */
export const devEnvSchema = envSchema.extend({
  /** Frontend and UI ports of the Temporal dev server `npm start` runs. */
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** Port of the embedded Postgres `npm start` runs when DATABASE_URL is unset. */
  EMBEDDED_PG_PORT: port.default(5433),
  /** An existing Temporal CLI binary (otherwise PATH, then `$(go env GOPATH)/bin`, then `go install`). */
  TEMPORAL_CLI_PATH: optionalString,
});

export type Env = z.infer<typeof envSchema>;
export type DevEnv = z.infer<typeof devEnvSchema>;

export class ConfigError extends Error {
  constructor(public readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parseWith<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  return result.data;
}

/** Parse an environment (default: process.env). Throws ConfigError naming each bad variable. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return parseWith(envSchema, source);
}

/** The same for the dev stack, with its own settings on top. */
export function parseDevEnv(source: NodeJS.ProcessEnv = process.env): DevEnv {
  return parseWith(devEnvSchema, source);
}

function once<T>(parse: () => T): () => T {
  let cached: T | undefined;
  return () => {
    if (cached === undefined) {
      try {
        cached = parse();
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
          process.exit(2);
        }
        throw err;
      }
    }
    return cached;
  };
}

/** The API's and the worker's configuration, parsed on first use. Exits with a clear message when invalid. */
export const env: () => Env = once(() => parseEnv());

/** The dev stack's configuration (`npm start`, `npm test`, the benchmark). */
export const devEnv: () => DevEnv = once(() => parseDevEnv());
