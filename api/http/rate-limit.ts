/**
 * In-memory token-bucket rate limiting, one bucket per key (by default the caller's bearer token,
 * hashed, falling back to the client IP). Per process: with several API replicas, each enforces
 * its own budget.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { tooManyRequests } from './problem';

export interface RateLimitOptions {
  /** Burst size: tokens a fresh bucket holds. ≥ 1. */
  capacity: number;
  /** Tokens added per second. > 0. */
  refillPerSec: number;
  /** Bucket key; `undefined` exempts the request. Defaults to `bearerTokenKey`. */
  key?: (req: Request, res: Response) => string | undefined;
  /** `false` makes the middleware a pass-through. Default true. */
  enabled?: boolean;
  /** Tokens a request costs. Default 1. */
  cost?: number;
  /** Above this many buckets, full (idle) ones are dropped. Default 10 000. */
  maxKeys?: number;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
}

export interface RateLimiter extends RequestHandler {
  /** Forgets every bucket (e.g. between tests). */
  reset(): void;
  /** Number of buckets currently tracked. */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** `token:<sha256 prefix>` for `Authorization: Bearer …`, else `ip:<req.ip>`. The raw token is never stored. */
export function bearerTokenKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (match) return 'token:' + createHash('sha256').update(match[1]).digest('base64url').slice(0, 32);
  return req.ip ? 'ip:' + req.ip : undefined;
}

export function rateLimit(options: RateLimitOptions): RateLimiter {
  const { capacity, refillPerSec } = options;
  if (!(Number.isFinite(capacity) && capacity >= 1)) throw new RangeError('rateLimit: capacity must be ≥ 1');
  if (!(Number.isFinite(refillPerSec) && refillPerSec > 0)) {
    throw new RangeError('rateLimit: refillPerSec must be > 0');
  }
  const cost = options.cost ?? 1;
  if (!(cost > 0 && cost <= capacity)) throw new RangeError('rateLimit: cost must be in (0, capacity]');
  const keyOf = options.key ?? bearerTokenKey;
  const enabled = options.enabled ?? true;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, t: number): void => {
    const elapsed = Math.max(0, t - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(capacity, bucket.tokens + elapsed * refillPerSec);
    bucket.updatedAt = t;
  };

  const sweep = (t: number): void => {
    for (const [k, bucket] of buckets) {
      refill(bucket, t);
      if (bucket.tokens >= capacity) buckets.delete(k);
    }
  };

  const middleware: RequestHandler = (req, res, next) => {
    if (!enabled) return next();
    const key = keyOf(req, res);
    if (key === undefined) return next();
    const t = now();
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= maxKeys) sweep(t);
      bucket = { tokens: capacity, updatedAt: t };
      buckets.set(key, bucket);
    } else {
      refill(bucket, t);
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return next();
    }
    const retryAfter = Math.max(1, Math.ceil((cost - bucket.tokens) / refillPerSec));
    next(tooManyRequests(retryAfter));
  };

  return Object.assign(middleware, {
    reset: () => buckets.clear(),
    size: () => buckets.size,
  });
}
