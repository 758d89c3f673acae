import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { apiTokens, users } from '../../db/schema';
import { hashToken } from '../auth/tokens';

/** LTC_BOOTSTRAP_ADMIN_TOKEN: a user `admin` with roles admin, ops and manager, holding this token. */
export async function ensureBootstrapAdmin(db: Db, token: string): Promise<void> {
  await db
    .insert(users)
    .values({
      id: 'admin',
      name: 'Administrator',
      email: 'admin@ltc.local',
      roles: ['admin', 'ops', 'manager'],
    })
    .onConflictDoUpdate({ target: users.id, set: { roles: sql`ARRAY['admin','ops','manager']::text[]` } });
  await db
    .insert(apiTokens)
    .values({ id: 'tok_bootstrap', userId: 'admin', tokenHash: hashToken(token), label: 'bootstrap' })
    .onConflictDoUpdate({ target: apiTokens.id, set: { tokenHash: hashToken(token), revokedAt: null } });
}
