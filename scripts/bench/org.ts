/**
 * The bench's company: 50 users in a 3-level org (a VP, four directors, their members, one ops
 * user), each with an API token. Team 4 is small: its members hold roles only on the deals meant
 * for it, so its director sees a known number of deals.
 */
import { hashToken, newToken } from '../../api/auth/tokens';
import type { Db } from '../../db/client';
import { apiTokens, users } from '../../db/schema';

export interface Org {
  ops: string;
  vp: string;
  directors: string[];
  /** Members of teams 1-3 (13 each). */
  members: string[];
  /** Members of team 4 (5), under `directors[3]`. */
  smallTeam: string[];
  tokens: Record<string, string>;
}

export async function createOrg(db: Db): Promise<Org> {
  const rows: (typeof users.$inferInsert)[] = [];
  const add = (id: string, roles: string[], managerId: string | null) =>
    rows.push({ id, name: id, email: `${id}@bench.test`, roles, managerId, groups: [] });
  add('b-ops', ['ops'], null);
  add('b-vp', ['manager'], null);
  const directors = [1, 2, 3, 4].map((d) => `b-dir${d}`);
  for (const d of directors) add(d, ['manager'], 'b-vp');
  const members: string[] = [];
  for (let t = 1; t <= 3; t++)
    for (let k = 1; k <= 13; k++) {
      members.push(`b-m${t}-${k}`);
      add(`b-m${t}-${k}`, ['member'], `b-dir${t}`);
    }
  const smallTeam = [1, 2, 3, 4, 5].map((k) => `b-m4-${k}`);
  for (const id of smallTeam) add(id, ['member'], 'b-dir4');
  await db.insert(users).values(rows);
  const tokens: Record<string, string> = {};
  const tokenRows = rows.map((u) => {
    const t = newToken();
    tokens[u.id as string] = t.token;
    return { id: t.id, userId: u.id as string, tokenHash: hashToken(t.token), label: 'bench' };
  });
  await db.insert(apiTokens).values(tokenRows);
  return { ops: 'b-ops', vp: 'b-vp', directors, members, smallTeam, tokens };
}
