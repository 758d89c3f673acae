import { and, eq, isNull } from 'drizzle-orm';
import type { RequestHandler, Response } from 'express';
import type { Db } from '../../db/client';
import { apiTokens, users } from '../../db/schema';
import { unauthorized } from '../http/problem';
import type { Principal, UserRole } from './principal';
import { hashToken } from './tokens';

/** `Authorization: Bearer <token>`: a missing, unknown or revoked token gets 401. */
export function authenticate(db: Db): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized('A bearer token is required');
    const rows = await db
      .select({ user: users, tokenId: apiTokens.id })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(and(eq(apiTokens.tokenHash, hashToken(match[1])), isNull(apiTokens.revokedAt)))
      .limit(1);
    const row = rows[0];
    if (!row) throw unauthorized('The token is unknown or revoked');
    const principal: Principal = {
      id: row.user.id,
      name: row.user.name,
      email: row.user.email,
      roles: row.user.roles as UserRole[],
      managerId: row.user.managerId,
      groups: row.user.groups,
      locale: row.user.locale === 'zh' ? 'zh' : 'en',
      tokenId: row.tokenId,
    };
    res.locals.principal = principal;
    next();
  };
}

/** The verified caller; only on routes declared with `auth: true`. */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw unauthorized();
  return p;
}
