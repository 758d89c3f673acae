/** Users with tokens, inserted directly (the chaos run and the scale-out proofs). */
import { hashToken, newToken } from '../../api/auth/tokens';
import type { Db } from '../../db/client';
import { apiTokens, users } from '../../db/schema';

export interface SimUser {
  id: string;
  token: string;
}

export async function insertUser(
  db: Db,
  u: { id: string; roles?: string[]; managerId?: string | null; groups?: string[] },
): Promise<SimUser> {
  await db.insert(users).values({
    id: u.id,
    name: u.id,
    email: `${u.id}@example.test`,
    roles: u.roles ?? ['member'],
    managerId: u.managerId ?? null,
    groups: u.groups ?? [],
    locale: 'en',
  });
  const t = newToken();
  await db.insert(apiTokens).values({ id: t.id, userId: u.id, tokenHash: hashToken(t.token) });
  return { id: u.id, token: t.token };
}

export interface SimTeam {
  director: SimUser;
  manager: SimUser;
  AR: SimUser;
  SR: SimUser;
  FR: SimUser;
  /** Stand-ins for reassignments. */
  SR2: SimUser;
  FR2: SimUser;
}

/** A team: the triangle (plus stand-ins) reporting to a manager, who reports to a director. */
export async function insertTeam(db: Db, prefix: string): Promise<SimTeam> {
  const director = await insertUser(db, { id: `${prefix}-dir`, roles: ['manager'], groups: ['sdt'] });
  const manager = await insertUser(db, { id: `${prefix}-mgr`, roles: ['manager'], managerId: director.id });
  const member = (id: string) => insertUser(db, { id: `${prefix}-${id}`, managerId: manager.id });
  return {
    director,
    manager,
    AR: await member('ar'),
    SR: await member('sr'),
    FR: await member('fr'),
    SR2: await member('sr2'),
    FR2: await member('fr2'),
  };
}
