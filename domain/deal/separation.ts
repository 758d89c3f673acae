/**
 * Separation of duties in the Iron Triangle: by default AR, SR and FR are three different people.
 * A process may allow pairs of roles to be one person (`separationOfDuties.allowSamePerson`).
 * Pure: used at creation (the API) and on reassignment (the workflow).
 */
import { type ProcessDefinition, TRIANGLE_ROLES, type TriangleRole } from '../process/types';
import type { Triangle } from './types';

export interface SeparationConflict {
  /** The later role of the pair in AR, SR, FR order: the field a caller is told to change. */
  role: TriangleRole;
  /** The earlier role, held by the same person. */
  sameAs: TriangleRole;
  userId: string;
}

/** Whether the definition lets one person hold both roles. */
export function mayHoldBoth(
  def: Pick<ProcessDefinition, 'separationOfDuties'>,
  a: TriangleRole,
  b: TriangleRole,
): boolean {
  return (def.separationOfDuties?.allowSamePerson ?? []).some(
    ([x, y]) => (x === a && y === b) || (x === b && y === a),
  );
}

/**
 * Every pair of roles held by one person that the definition does not allow, in AR, SR, FR order;
 * `[]` when the triangle keeps the separation. For a reassignment of role R, the conflicts that
 * matter are those with `role === R || sameAs === R`.
 */
export function separationConflicts(
  triangle: Triangle,
  def: Pick<ProcessDefinition, 'separationOfDuties'>,
): SeparationConflict[] {
  const out: SeparationConflict[] = [];
  TRIANGLE_ROLES.forEach((role, i) => {
    for (const sameAs of TRIANGLE_ROLES.slice(0, i)) {
      if (triangle[role] === triangle[sameAs] && !mayHoldBoth(def, sameAs, role)) {
        out.push({ role, sameAs, userId: triangle[role] });
      }
    }
  });
  return out;
}

/** One line for a refusal: `SR is held by u1, who is already AR; this process keeps them apart`. */
export function describeConflict(c: SeparationConflict): string {
  return `${c.userId} already holds ${c.sameAs}; this process needs different people as ${c.sameAs} and ${c.role}`;
}
