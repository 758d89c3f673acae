/**
 * Business rules of a running deal that are not about the gate itself: who fills each approver, who
 * keeps seeing a deal, where a rejection goes, who may hold or sign two roles. Pure functions.
 */
import type { Approver, ProcessDefinition, StageDefinition, TriangleRole } from '../process/types';
import { TRIANGLE_ROLES } from '../process/types';
import { approversFor, isTriangleRole } from './rules';
import type { DealState, Directory, Money, RequiredApprover, Triangle } from './types';

/** How long resolved approvers are trusted before they are looked up again after a stage entry. */
export const DIRECTORY_MAX_AGE_MS = 10 * 60 * 1000;

/** Where a rejection of this stage sends the deal: a stage key, or `lost`. */
export function rejectTarget(stage: StageDefinition): string {
  return stage.onReject ?? 'lost';
}

/** Every group a process names as an approver (base or conditional). */
export function groupsNamed(def: ProcessDefinition): string[] {
  const names = new Set<string>();
  for (const s of def.stages) {
    for (const a of [...s.approvers, ...(s.when ?? []).flatMap((w) => w.add)]) {
      if (a.startsWith('group:')) names.add(a.slice(6));
    }
  }
  return [...names].sort();
}

/**
 * The users who may sign each approver of a stage, from the deal's value and triangle and the
 * directory: triangle roles are their holders, `manager` the AR's manager, `group:x` its members.
 * An approver nobody fills falls to ops (`standIn`), so the stage can always be decided.
 */
export function requiredFor(
  stage: StageDefinition,
  value: Money,
  triangle: Triangle,
  directory: Directory,
): RequiredApprover[] {
  return approversFor(stage, value).map(({ approver, conditional }) => {
    const userIds = usersOf(approver, triangle, directory);
    if (userIds.length === 0 && directory.ops.length) {
      return { approver, userIds: [...directory.ops], conditional, standIn: true };
    }
    return { approver, userIds, conditional };
  });
}

export function usersOf(approver: Approver, triangle: Triangle, directory: Directory): string[] {
  if (isTriangleRole(approver)) return [triangle[approver]];
  if (approver === 'manager') return directory.manager ? [directory.manager] : [];
  return [...(directory.groups[approver.slice(6)] ?? [])];
}

/** Whether the directory was resolved for this AR (the `manager` approver follows the AR). */
export function directoryFits(directory: Directory | undefined, triangle: Triangle): directory is Directory {
  return directory !== undefined && directory.ar === triangle.AR;
}

/**
 * Signers beyond the triangle (the AR's manager, group members, ops standing in) keep seeing the
 * deal; triangle visibility follows the current holders.
 */
export function participantIds(state: Pick<DealState, 'stage'>): string[] {
  const required = state.stage?.required ?? [];
  return [
    ...new Set(
      required
        .filter((r) => !(TRIANGLE_ROLES as readonly string[]).includes(r.approver))
        .flatMap((r) => r.userIds),
    ),
  ].sort();
}

/**
 * Separation of duties: whether one person may hold (and sign) both of these roles. By default the
 * three triangle roles are three people and nobody signs two approvals of one stage visit; a
 * process may relax it for named pairs of triangle roles (`separationOfDuties.allowSamePerson`).
 */
export function allowsSamePerson(def: ProcessDefinition, a: Approver, b: Approver): boolean {
  if (a === b) return true;
  if (!isTriangleRole(a) || !isTriangleRole(b)) return false;
  const pairs = def.separationOfDuties?.allowSamePerson ?? [];
  return pairs.some((p) => p.includes(a) && p.includes(b));
}

/** Triangle roles other than `role` that `userId` holds and may not hold together with it. */
export function conflictingRoles(
  def: ProcessDefinition,
  triangle: Triangle,
  role: TriangleRole,
  userId: string,
): TriangleRole[] {
  return TRIANGLE_ROLES.filter(
    (other) => other !== role && triangle[other] === userId && !allowsSamePerson(def, role, other),
  );
}

/**
 * After the AR changes, a `manager` approval the stage still waits on must follow the new AR (it
 * is the AR's manager): true when it has to be looked up again.
 */
export function managerFollowsAr(state: Pick<DealState, 'stage'>, role: TriangleRole): boolean {
  const stage = state.stage;
  if (role !== 'AR' || !stage) return false;
  const manager = stage.required.find((r) => r.approver === 'manager');
  return Boolean(manager) && !stage.signoffs.some((s) => s.role === 'manager');
}
