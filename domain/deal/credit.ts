/**
 * Credit for completed deals: who earned how much of a deal's value.
 *
 * PURE: no imports. Reports, the API and workflow code may all use it.
 *
 * A deal's value is split equally between its distinct stages; within a stage, each triangle role's
 * weight share goes to the user who held that role at that stage. So a user earns
 * `value × Σ(weight of each role they held at a stage) / N` over the N stages, and a reassignment
 * splits credit between the stages before and after it. A user holding two roles at a stage gets
 * both shares. When a role changed hands during a stage, its weight there is split by how long each
 * holder held it (`holderSpans`): a person who left keeps what they earned before, the successor
 * earns from then on.
 */

type CreditRole = 'AR' | 'SR' | 'FR';

const CREDIT_ROLES: readonly CreditRole[] = ['AR', 'SR', 'FR'];

/** One approved stage visit of a deal. */
export interface CreditStage {
  stageKey: string;
  /** The stage's accountability share per role (they sum to 1 in a valid process definition). */
  weights: Partial<Record<CreditRole, number>>;
  /** Who held each role at this stage (at its end). */
  holders: Record<CreditRole, string>;
  /**
   * When a role changed hands during the stage: each holder's share of the stage's time (summing
   * to 1). The role's weight is split by these shares instead of going to `holders[role]` alone.
   */
  spans?: Partial<Record<CreditRole, { userId: string; share: number }[]>>;
}

/** A handover of a role, as the timeline records it (`role.reassigned`). */
export interface Handover {
  role: CreditRole;
  from: string;
  to: string;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * Who held each role during a stage visit from `enteredAt` to `exitedAt` (epoch ms), and for what
 * share of its time, from the deal's handovers (any order). A role that did not change hands during
 * the visit is left out: its holder at the end earns all of it. A visit of no length gives the
 * share to the holder at its end.
 */
export function holderSpans(
  enteredAt: number,
  exitedAt: number,
  handovers: Handover[],
): Partial<Record<CreditRole, { userId: string; share: number }[]>> {
  const out: Partial<Record<CreditRole, { userId: string; share: number }[]>> = {};
  const length = exitedAt - enteredAt;
  if (!(length > 0)) return out;
  for (const role of CREDIT_ROLES) {
    const within = handovers
      .filter((h) => h.role === role && h.at > enteredAt && h.at < exitedAt)
      .sort((a, b) => a.at - b.at);
    if (within.length === 0) continue;
    const shares = new Map<string, number>();
    let from = enteredAt;
    let holder = within[0].from;
    for (const h of within) {
      shares.set(holder, (shares.get(holder) ?? 0) + (h.at - from) / length);
      from = h.at;
      holder = h.to;
    }
    shares.set(holder, (shares.get(holder) ?? 0) + (exitedAt - from) / length);
    out[role] = [...shares.entries()].map(([userId, share]) => ({ userId, share }));
  }
  return out;
}

/** Round to cents, half away from zero, without the binary artefacts of `x * 100` (1.005 → 1.01). */
function roundCents(amount: number): number {
  const cents = Number((Math.abs(amount) * 100).toPrecision(15));
  const rounded = (Math.sign(amount) * Math.round(cents)) / 100;
  return rounded === 0 ? 0 : rounded; // no -0
}

/**
 * Credit per user for a completed deal of `value`, from the approved visits of its stages.
 *
 * - When a stage key appears several times (rework), only its LAST entry counts.
 * - Each of the N distinct stages contributes `value / N`; within a stage, each role's weight share
 *   of that goes to the role's holder. Weights are used as given (not normalised): with weights
 *   summing to 1 at every stage the credits add up to `value`, up to rounding.
 * - Roles without a positive weight, or without a holder, earn nothing.
 * - Amounts are rounded to 2 decimals at the end; users are listed in sorted order.
 * - No stages: no credit (`{}`).
 */
export function creditForDeal(value: number, stages: CreditStage[]): Record<string, number> {
  const last = new Map<string, CreditStage>();
  for (const stage of stages) {
    last.delete(stage.stageKey); // keep the order of last appearance
    last.set(stage.stageKey, stage);
  }
  const n = last.size;
  if (n === 0) return {};

  // Accumulate each user's share of the value (a fraction), multiply once at the end.
  const shares = new Map<string, number>();
  for (const stage of last.values()) {
    for (const role of CREDIT_ROLES) {
      const weight = stage.weights[role];
      if (typeof weight !== 'number' || !(weight > 0)) continue;
      const spans = stage.spans?.[role];
      if (spans?.length) {
        for (const s of spans) shares.set(s.userId, (shares.get(s.userId) ?? 0) + (weight * s.share) / n);
        continue;
      }
      const userId = stage.holders[role];
      if (!userId) continue;
      shares.set(userId, (shares.get(userId) ?? 0) + weight / n);
    }
  }

  const out: Record<string, number> = {};
  for (const userId of [...shares.keys()].sort()) {
    out[userId] = roundCents(value * (shares.get(userId) ?? 0));
  }
  return out;
}

/** Sum two credit maps per user (for several deals), rounded to 2 decimals; the inputs are not changed. */
export function mergeCredit(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sums = new Map<string, number>();
  for (const map of [a, b]) {
    for (const [userId, amount] of Object.entries(map)) sums.set(userId, (sums.get(userId) ?? 0) + amount);
  }
  const out: Record<string, number> = {};
  for (const userId of [...sums.keys()].sort()) out[userId] = roundCents(sums.get(userId) ?? 0);
  return out;
}
