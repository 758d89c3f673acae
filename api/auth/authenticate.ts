import type { RequestHandler, Response } from 'express';
import type { Db } from '../../db/client';
import { tooManyRequests, unauthorized } from '../http/problem';
import {
  bucketHitSql,
  clientAddress,
  idleBucketSweeper,
  RATE_WINDOW_SECONDS,
  type RateLimits,
  resolveRateLimits,
  retryAfterSeconds,
} from '../http/rate-limit';
import type { Principal, UserRole } from './principal';
import { hashToken } from './tokens';

export interface AuthenticateOptions {
  /** Per-minute budgets; the defaults apply to what is not given. */
  limits?: Partial<RateLimits>;
  /** Clock of token expiry and rate limits. Default: the database's `now()`, shared by every replica. */
  now?: () => Date;
  /** Called when sweeping idle rate-limit buckets fails (it is retried a minute later). */
  onSweepError?: (err: unknown) => void;
}

/** `read` for the routes that change nothing, `write` for `write: true` routes: each draws on its own budget. */
export interface Authenticator {
  read: RequestHandler;
  write: RequestHandler;
}

interface AuthRow extends Record<string, unknown> {
  id: string | null;
  name: string | null;
  email: string | null;
  roles: string[] | null;
  manager_id: string | null;
  groups: string[] | null;
  locale: string | null;
  token_id: string | null;
  delegators: string[] | null;
  line: string[] | null;
  refused: 'revoked' | 'expired' | 'deactivated' | null;
  expires_at: number | null;
  allowed: boolean;
  ahead: number;
}

const REFUSED = {
  revoked: () => 'The token has been revoked',
  expired: (row: AuthRow) => `The token expired at ${new Date(row.expires_at ?? 0).toISOString()}`,
  deactivated: () => 'The user of this token is deactivated',
} as const;

/**
 * `Authorization: Bearer <token>`. One SQL statement per request looks the token up (with whom the
 * user signs for as a delegate right now, and a manager's reporting line, so that checking what the
 * caller may see and do costs no further query) and draws on a rate-limit bucket: the user's write or read bucket when the token is good, else the client
 * address's failed-authentication bucket. A missing header is 401 at once (nothing was guessed, and
 * it costs no query); an unknown, revoked or expired token, or a deactivated user, is 401 saying
 * which, or 429 once the address has used up its failed authentications. A good token is never
 * refused for its address's failures: an address is often shared (an office NAT, a proxy), and a
 * random 192-bit token cannot be guessed anyway.
 */
export function authenticate(db: Db, options: AuthenticateOptions = {}): Authenticator {
  const limits = resolveRateLimits(options.limits);
  const sweep = idleBucketSweeper(db, { onError: options.onSweepError });

  const handler =
    (kind: 'r' | 'w', perMinute: number): RequestHandler =>
    async (req, res, next) => {
      const header = req.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) throw unauthorized('A bearer token is required');
      const row = await lookUp(db, {
        hash: hashToken(match[1]),
        bucket: `${kind}:`,
        perMinute,
        address: clientAddress(req.ip),
        failedPerMinute: limits.failedAuthPerMinute,
        at: options.now?.() ?? null,
      });
      sweep();
      const ok = row.token_id !== null && row.refused === null;
      if (!row.allowed) {
        throw tooManyRequests(retryAfterSeconds(row.ahead, ok ? perMinute : limits.failedAuthPerMinute));
      }
      if (!ok) throw unauthorized(row.refused ? REFUSED[row.refused](row) : 'The token is unknown');
      res.locals.principal = toPrincipal(row);
      next();
    };

  return { read: handler('r', limits.readsPerMinute), write: handler('w', limits.writesPerMinute) };
}

/**
 * $1 token hash, $2 bucket prefix (`r:`/`w:`), $3 the route's limit per minute, $4 client address,
 * $5 failed authentications per minute, $6 the clock (null: the database's `now()`).
 */
const AUTHENTICATE_SQL = `
  WITH c AS (SELECT coalesce($6::timestamptz, now()) AS at),
  t AS (
    SELECT u.id, u.name, u.email, u.roles, u.manager_id, u.groups, u.locale, k.id AS token_id,
      CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
           WHEN k.expires_at <= c.at THEN 'expired'
           WHEN u.deactivated_at IS NOT NULL THEN 'deactivated' END AS refused,
      (extract(epoch FROM k.expires_at) * 1000)::float8 AS expires_at,
      ARRAY(SELECT d.user_id FROM delegations d
            WHERE d.delegate_id = u.id AND d.valid_from <= c.at AND d.valid_until >= c.at
            ORDER BY d.user_id) AS delegators,
      CASE WHEN 'manager' = ANY(u.roles) THEN ARRAY(
        WITH RECURSIVE line AS (
          SELECT x.id FROM users x WHERE x.manager_id = u.id
          UNION
          SELECT y.id FROM users y JOIN line ON y.manager_id = line.id
        ) SELECT id FROM line) END AS line
    FROM c, api_tokens k JOIN users u ON u.id = k.user_id
    WHERE k.token_hash = $1::text
  ),
  hit AS (${bucketHitSql(`
    SELECT CASE WHEN t.refused IS NULL AND t.token_id IS NOT NULL
                THEN $2::text || t.id ELSE 'auth:' || $4::text END AS key,
           ${RATE_WINDOW_SECONDS}::float8 / CASE WHEN t.refused IS NULL AND t.token_id IS NOT NULL
                THEN $3::int ELSE $5::int END AS interval_sec,
           c.at
    FROM c LEFT JOIN t ON true`)})
  SELECT t.*, hit.allowed, hit.ahead FROM hit LEFT JOIN t ON true`;

/**
 * The token's user and the verdict of the bucket the request drew on, in one round trip: a named
 * prepared statement on the postgres-js client (drizzle's `execute` would describe the statement
 * first on every call, a second round trip).
 */
async function lookUp(
  db: Db,
  q: {
    hash: string;
    bucket: string;
    perMinute: number;
    address: string;
    failedPerMinute: number;
    at: Date | null;
  },
): Promise<AuthRow> {
  const params = [q.hash, q.bucket, q.perMinute, q.address, q.failedPerMinute, q.at?.toISOString() ?? null];
  const rows = await db.$client.unsafe<AuthRow[]>(AUTHENTICATE_SQL, params, { prepare: true });
  return rows[0];
}

function toPrincipal(row: AuthRow): Principal {
  return {
    id: row.id as string,
    name: row.name as string,
    email: row.email as string,
    roles: (row.roles ?? []) as UserRole[],
    managerId: row.manager_id,
    groups: row.groups ?? [],
    locale: row.locale === 'zh' ? 'zh' : 'en',
    tokenId: row.token_id as string,
    delegators: row.delegators ?? [],
    ...(row.line ? { reportingLine: row.line } : {}),
  };
}

/** The verified caller; only on routes declared with `auth: true`. */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw unauthorized();
  return p;
}
