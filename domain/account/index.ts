/**
 * Accounts: the customer the company owns, its account team and the customer's decision chain.
 * PURE: imports only domain/. The API stores and reads them; these are the rules.
 */
import { TRIANGLE_ROLES, type TriangleRole } from '../process/types';

export const ACCOUNT_TIERS = ['strategic', 'core', 'growth', 'general'] as const;
export type AccountTier = (typeof ACCOUNT_TIERS)[number];

export const BUYING_ROLES = ['decision_maker', 'influencer', 'user', 'gatekeeper', 'buyer'] as const;
export type BuyingRole = (typeof BUYING_ROLES)[number];

export const STANCES = ['supporter', 'neutral', 'opponent', 'unknown'] as const;
export type Stance = (typeof STANCES)[number];

export const INTERACTION_KINDS = ['meeting', 'call', 'visit', 'email'] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

export const MIN_INFLUENCE = 1;
export const MAX_INFLUENCE = 5;

/** The tier an account found or created by a deal's `{name, tier}` gets: a known tier, else `general`. */
export function tierOrGeneral(tier: string | null | undefined): AccountTier {
  return (ACCOUNT_TIERS as readonly string[]).includes(tier ?? '') ? (tier as AccountTier) : 'general';
}

/** An account team: each role held by someone, or by nobody yet. */
export type AccountTeam = Record<TriangleRole, string | null>;

/**
 * The account team keeps the triangle's rule: one person holds at most one of its roles. Answers
 * the roles (later in AR, SR, FR order) held by someone already holding an earlier one.
 */
export function teamConflicts(
  team: AccountTeam,
): { role: TriangleRole; sameAs: TriangleRole; userId: string }[] {
  const out: { role: TriangleRole; sameAs: TriangleRole; userId: string }[] = [];
  TRIANGLE_ROLES.forEach((role, i) => {
    const userId = team[role];
    if (!userId) return;
    const sameAs = TRIANGLE_ROLES.slice(0, i).find((r) => team[r] === userId);
    if (sameAs) out.push({ role, sameAs, userId });
  });
  return out;
}

export interface ChainContact {
  id: string;
  name: string;
  title: string | null;
  buyingRole: BuyingRole;
  stance: Stance;
  influence: number;
  ownerId: string | null;
}

/** The decision chain: every buying role with its contacts, most influential first. */
export function decisionChain(contacts: ChainContact[]): { role: BuyingRole; contacts: ChainContact[] }[] {
  return BUYING_ROLES.map((role) => ({
    role,
    contacts: contacts
      .filter((c) => c.buyingRole === role)
      .sort((a, b) => b.influence - a.influence || a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
  }));
}

/** One holding of a deal role, from the deal's timeline. */
export interface RoleHolding {
  role: TriangleRole;
  userId: string;
  since: string;
  until: string | null;
  reason: string | null;
}

/** A timeline event that sets who holds a role: the creation (all three) and each reassignment. */
export interface RoleEvent {
  type: string;
  at: string;
  data: Record<string, unknown>;
}

/**
 * Who held each role of a deal over time, from its `deal.created` and `role.reassigned` events in
 * timeline order. Unknown shapes are skipped (the timeline is written by older code too).
 */
export function roleHoldings(events: RoleEvent[]): RoleHolding[] {
  const out: RoleHolding[] = [];
  const open = new Map<TriangleRole, RoleHolding>();
  for (const e of events) {
    if (e.type === 'deal.created') {
      const triangle = e.data.triangle as Partial<Record<TriangleRole, unknown>> | undefined;
      for (const role of TRIANGLE_ROLES) {
        const userId = triangle?.[role];
        if (typeof userId !== 'string' || open.has(role)) continue;
        const h: RoleHolding = { role, userId, since: e.at, until: null, reason: null };
        open.set(role, h);
        out.push(h);
      }
    } else if (e.type === 'role.reassigned') {
      const role = e.data.role as TriangleRole;
      const to = e.data.to;
      if (!TRIANGLE_ROLES.includes(role) || typeof to !== 'string') continue;
      const prev = open.get(role);
      if (prev) prev.until = e.at;
      const reason = typeof e.data.reason === 'string' ? e.data.reason : null;
      const h: RoleHolding = { role, userId: to, since: e.at, until: null, reason };
      open.set(role, h);
      out.push(h);
    }
  }
  return out;
}
