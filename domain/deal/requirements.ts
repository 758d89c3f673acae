/**
 * Gates that ask for evidence: a stage's `requires` (decision chain, fields, attachments), checked
 * against what the deal has. Pure: the API computes the evidence from Postgres and tells the deal's
 * workflow (the `evidence` Update); the stage completes only when its sign-off rule AND every
 * requirement hold.
 */
import type { Requirement, StageDefinition } from '../process/types';
import type { DealState } from './types';

/** What a deal has, as far as requirements go. */
export interface Evidence {
  /** When it was read (epoch ms): an older snapshot never replaces a newer one. */
  at: number;
  /** Contacts on the deal's account with a known stance, per buying role. */
  knownStance: Record<string, number>;
  /** Field paths that have a value (`deal.expectedCloseDate`, `account.industry`, ...). */
  fields: string[];
  /** Kinds of the deal's attachments. */
  attachments: string[];
}

export const NO_EVIDENCE: Evidence = { at: 0, knownStance: {}, fields: [], attachments: [] };

export interface RequirementCheck {
  requirement: Requirement;
  met: boolean;
  /** What it asks for, in words. */
  label: string;
}

export function describeRequirement(r: Requirement): string {
  if ('decisionChain' in r && r.decisionChain) {
    const { roles, minKnownStance } = r.decisionChain;
    return `decision chain: ${roles.join(', ')} mapped with a known stance (at least ${minKnownStance} each)`;
  }
  if ('field' in r && r.field) return `field ${r.field.path} filled in`;
  if ('attachment' in r && r.attachment) return `attachment of kind ${r.attachment.kind}`;
  return 'unknown requirement';
}

export function requirementMet(r: Requirement, e: Evidence): boolean {
  if ('decisionChain' in r && r.decisionChain) {
    const { roles, minKnownStance } = r.decisionChain;
    return roles.every((role) => (e.knownStance[role] ?? 0) >= minKnownStance);
  }
  if ('field' in r && r.field) return e.fields.includes(r.field.path);
  if ('attachment' in r && r.attachment) return e.attachments.includes(r.attachment.kind);
  return false;
}

/** Each requirement of the stage, met or missing. */
export function checkRequirements(stage: Pick<StageDefinition, 'requires'>, e: Evidence): RequirementCheck[] {
  return (stage.requires ?? []).map((requirement) => ({
    requirement,
    met: requirementMet(requirement, e),
    label: describeRequirement(requirement),
  }));
}

/**
 * Whether the current stage's requirements hold for this deal. Always true for runs started before
 * gates asked for evidence (`gatesAskEvidence` unset): they keep completing on sign-offs alone.
 */
export function requirementsHold(state: DealState, stage: Pick<StageDefinition, 'requires'>): boolean {
  if (!state.gatesAskEvidence || !stage.requires?.length) return true;
  return checkRequirements(stage, state.evidence ?? NO_EVIDENCE).every((c) => c.met);
}

/** The shape of evidence sent to a workflow (checked again in its Update validator). */
export function evidenceProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'evidence must be an object';
  const e = v as Record<string, unknown>;
  if (typeof e.at !== 'number' || !Number.isFinite(e.at)) return 'evidence.at must be a number';
  const ks = e.knownStance;
  if (typeof ks !== 'object' || ks === null || Array.isArray(ks))
    return 'evidence.knownStance must be an object';
  const entries = Object.entries(ks as Record<string, unknown>);
  if (entries.length > 20) return 'evidence.knownStance has too many roles';
  for (const [k, n] of entries) {
    if (k.length > 64 || !/^[a-z_]+$/.test(k)) return 'evidence.knownStance has an invalid role';
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1_000_000)
      return 'evidence.knownStance counts must be whole numbers';
  }
  for (const key of ['fields', 'attachments'] as const) {
    const list = e[key];
    if (!Array.isArray(list) || list.length > 100) return `evidence.${key} must be a list of at most 100`;
    if (!list.every((x) => typeof x === 'string' && x.length <= 100 && /^[A-Za-z0-9._-]+$/.test(x)))
      return `evidence.${key} must be short names`;
  }
  return null;
}
