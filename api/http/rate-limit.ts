/**
 * Rate limits shared by every API replica: the buckets live in Postgres (`rate_limit_buckets`, an
 * UNLOGGED table), so N replicas allow the limit once, not N times.
 *
 * Each bucket is a GCRA ("generic cell rate algorithm"), which behaves exactly like a token bucket
 * that holds one minute's budget and refills it evenly over the minute, but needs a single
 * timestamp per bucket: the "theoretical arrival time" `tat`, the moment the bucket is full again.
 * A request is allowed when `max(tat, now) + interval ≤ now + 1 minute` (interval = 1 min / limit),
 * and then moves `tat` to that sum; a refused request leaves it alone. The check and the update are
 * one `INSERT … ON CONFLICT DO UPDATE`, atomic under the row lock, which `authenticate` runs in the
 * same prepared statement as the token lookup (one round trip per request).
 *
 * A bucket whose `tat` has passed is full, exactly as if it had no row: `sweepIdleBuckets` deletes
 * those, so the table holds only the buckets used within the last minute.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';

/** Every budget is per minute; a bucket holds one window's worth (the burst). */
export const RATE_WINDOW_SECONDS = 60;

export interface RateLimits {
  /** Write requests per user per minute (`write: true` routes). */
  writesPerMinute: number;
  /** Read requests per user per minute (every other authenticated route). */
  readsPerMinute: number;
  /** Failed authentications (unknown, revoked or expired token, deactivated user) per client address per minute. */
  failedAuthPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  writesPerMinute: 600,
  readsPerMinute: 3000,
  failedAuthPerMinute: 30,
};

/** The defaults overridden by `given`; throws RangeError for a limit that is not a positive integer. */
export function resolveRateLimits(given: Partial<RateLimits> = {}): RateLimits {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const [name, value] of Object.entries(given) as [keyof RateLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`rate limit ${name} must be a positive integer (got ${value})`);
    }
    limits[name] = value;
  }
  return limits;
}

/**
 * `Retry-After` for a refused request: seconds until the bucket holds one request again. `ahead`
 * is how far the bucket's `tat` lies beyond the request's time, in seconds.
 */
export function retryAfterSeconds(aheadSec: number, perMinute: number): number {
  const wait = aheadSec + RATE_WINDOW_SECONDS / perMinute - RATE_WINDOW_SECONDS;
  return Math.max(1, Math.ceil(wait - 1e-6));
}

/**
 * The client address a failed authentication is counted against: `req.ip` (which honours the
 * app's `trust proxy` setting), IPv4-mapped IPv6 written as IPv4.
 */
export function clientAddress(ip: string | undefined): string {
  if (!ip) return 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * The SQL text of one bucket hit, for a CTE. `source` is a query yielding one row with `key`
 * (text), `interval_sec` (seconds per request: 60 / limit) and `at` (timestamptz, the request's
 * time). The CTE returns `allowed` and `ahead` (seconds from `at` to the bucket's `tat` after the
 * hit). Plain text without parameters of its own, so that the statement around it can be prepared
 * once and reused.
 */
export function bucketHitSql(source: string): string {
  return `
    INSERT INTO rate_limit_buckets AS r (key, tat, allowed, seen_at)
    SELECT s.key, s.at + make_interval(secs => s.interval_sec), true, s.at FROM (${source}) s
    ON CONFLICT (key) DO UPDATE SET (tat, allowed, seen_at) = (
      SELECT CASE WHEN n.ok THEN n.tat ELSE r.tat END, n.ok, excluded.seen_at
      FROM (
        SELECT nt.tat, nt.tat <= excluded.seen_at + interval '${RATE_WINDOW_SECONDS} seconds' AS ok
        FROM (SELECT greatest(r.tat, excluded.seen_at) + (excluded.tat - excluded.seen_at) AS tat) nt
      ) n
    )
    RETURNING allowed, extract(epoch FROM tat - seen_at)::float8 AS ahead`;
}

/** Deletes the buckets that are full again (idle for their whole window). */
export async function sweepIdleBuckets(db: Db): Promise<void> {
  await db.execute(sql`DELETE FROM rate_limit_buckets WHERE tat < now()`);
}

/**
 * Calls `sweepIdleBuckets` at most once per `everyMs` (from the request path, without waiting for
 * it), so every replica that serves traffic keeps the table bounded without a timer of its own.
 */
export function idleBucketSweeper(
  db: Db,
  opts: { everyMs?: number; onError?: (err: unknown) => void } = {},
): () => void {
  const everyMs = opts.everyMs ?? 60_000;
  let last = Date.now();
  return () => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    sweepIdleBuckets(db).catch((err) => opts.onError?.(err));
  };
}
