import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { apiTokens, users } from '../../db/schema';
import { hashToken } from '../auth/tokens';

const BOOTSTRAP_LABEL = 'bootstrap';

/**
 * LTC_BOOTSTRAP_ADMIN_TOKEN: a user `admin` with roles admin, ops and manager, holding this token.
 *
 * Run at every start, it never undoes what an admin did with the same value: a revoked bootstrap
 * token stays revoked, and a deactivated `admin` stays deactivated. A new value is a rotation: its
 * token is added (and works, the user reactivated), and earlier bootstrap tokens are revoked.
 */
export async function ensureBootstrapAdmin(db: Db, token: string): Promise<void> {
  const hash = hashToken(token);
  await db.transaction(async (tx) => {
    await tx
      .insert(users)
      .values({
        id: 'admin',
        name: 'Administrator',
        email: 'admin@ltc.local',
        roles: ['admin', 'ops', 'manager'],
      })
      .onConflictDoUpdate({ target: users.id, set: { roles: sql`ARRAY['admin','ops','manager']::text[]` } });
    // A known value (in any state, e.g. revoked) conflicts on the hash and is left as it is.
    const added = await tx
      .insert(apiTokens)
      .values({
        id: `tok_bootstrap_${hash.slice(0, 16)}`,
        userId: 'admin',
        tokenHash: hash,
        label: BOOTSTRAP_LABEL,
      })
      .onConflictDoNothing()
      .returning({ id: apiTokens.id });
    if (added.length === 0) return;
    await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(apiTokens.userId, 'admin'),
          eq(apiTokens.label, BOOTSTRAP_LABEL),
          ne(apiTokens.tokenHash, hash),
          isNull(apiTokens.revokedAt),
        ),
      );
    await tx.update(users).set({ deactivatedAt: null }).where(eq(users.id, 'admin'));
  });
}
