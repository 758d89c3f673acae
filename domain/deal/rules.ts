/**
 * Gate rules: who must sign at a stage, and when the gate is passed. Pure functions.
 */
import type { Approver, StageDefinition, TriangleRole, ValueThreshold } from '../process/types';
import { TRIANGLE_ROLES } from '../process/types';
import type { Money, RequiredApprover, Signoff } from './types';

export function isTriangleRole(a: string): a is TriangleRole {
  return (TRIANGLE_ROLES as readonly string[]).includes(a);
}

/**
 * Whether the deal's value meets a `valueAtLeast` threshold: at least the amount, in the same
 * currency. The legacy bare number (old stored versions, running workflows) compares the amount
 * in any currency, exactly as before.
 */
export function meetsThreshold(value: Money, threshold: ValueThreshold | number): boolean {
  if (typeof threshold === 'number') return value.amount >= threshold;
  return value.currency === threshold.currency && value.amount >= threshold.amount;
}

/** Base approvers plus those added by `when` conditions the deal's value meets, without repeats. */
export function approversFor(
  stage: StageDefinition,
  value: Money,
): { approver: Approver; conditional: boolean }[] {
  const out: { approver: Approver; conditional: boolean }[] = stage.approvers.map((approver) => ({
    approver,
    conditional: false,
  }));
  for (const cond of stage.when ?? []) {
    if (meetsThreshold(value, cond.if.valueAtLeast)) {
      for (const approver of cond.add) {
        if (!out.some((o) => o.approver === approver)) out.push({ approver, conditional: true });
      }
    }
  }
  return out;
}

export type GateState = 'pending' | 'approved' | 'rejected';

/**
 * Evaluate a stage's gate against its sign-offs.
 * - Any rejection rejects the stage.
 * - `all`: every required approver approved.
 * - `any`: one base approver approved; `atLeast: n`: n base approvers approved;
 *   `weight: w`: approving triangle roles' stage weights sum to at least w.
 * - Approvers added by a `when` condition are mandatory under every rule.
 */
export function evaluateGate(
  stage: StageDefinition,
  required: RequiredApprover[],
  signoffs: Signoff[],
): GateState {
  if (signoffs.some((s) => s.decision === 'reject')) return 'rejected';
  const approved = new Set(signoffs.filter((s) => s.decision === 'approve').map((s) => s.role));
  const conditional = required.filter((r) => r.conditional);
  if (!conditional.every((r) => approved.has(r.approver))) return 'pending';
  const base = required.filter((r) => !r.conditional);
  const baseApproved = base.filter((r) => approved.has(r.approver));
  const rule = stage.rule;
  let met: boolean;
  if (rule === 'all') met = baseApproved.length === base.length;
  else if (rule === 'any') met = baseApproved.length >= 1 || base.length === 0;
  else if ('atLeast' in rule) met = baseApproved.length >= Math.min(rule.atLeast, base.length);
  else {
    const sum = baseApproved.reduce(
      (acc, r) => acc + (isTriangleRole(r.approver) ? (stage.weights[r.approver] ?? 0) : 0),
      0,
    );
    met = sum + 1e-9 >= rule.weight;
  }
  return met ? 'approved' : 'pending';
}

/** Required approvers that have not decided yet (all of them are "waited on" until the gate passes). */
export function undecided(required: RequiredApprover[], signoffs: Signoff[]): RequiredApprover[] {
  const decided = new Set(signoffs.map((s) => s.role));
  return required.filter((r) => !decided.has(r.approver));
}
