/**
 * Process definition model: the data ops write (YAML or JSON) to say how deals move.
 *
 * Plain types only: this file is imported by workflow code, so it must stay free of zod and I/O.
 * The zod schema and the semantic checks live in `./schema.ts` and `./validate.ts` (API and CLI edges).
 */

/** The three members of the Iron Triangle. */
export const TRIANGLE_ROLES = ['AR', 'SR', 'FR'] as const;
export type TriangleRole = (typeof TRIANGLE_ROLES)[number];

/** A name in both languages our users read. */
export interface LocalizedText {
  en: string;
  zh: string;
}

/**
 * Who must sign at a gate:
 * - `AR` | `SR` | `FR`: the deal's holder of that triangle role;
 * - `manager`: the manager of the deal's AR;
 * - `group:<name>`: any one member of the named group (counts as one approval).
 */
export type Approver = TriangleRole | 'manager' | `group:${string}`;

/**
 * When a stage's gate is passed:
 * - `all`: every approver;  `any`: one of them;  `{atLeast: n}`: n of them;
 * - `{weight: w}`: the approving triangle roles' stage weights sum to at least w.
 */
export type Rule = 'all' | 'any' | { atLeast: number } | { weight: number };

/** A deal value at or above `amount` in `currency` (only deals in that currency can meet it). */
export interface ValueThreshold {
  amount: number;
  currency: string;
}

/**
 * Extra approvers under a condition on the deal (evaluated on entry and on amend).
 *
 * `valueAtLeast` as a bare number is the legacy form: it compares the amount whatever the
 * currency. Versions stored before thresholds named their currency (and the workflows running on
 * them) still carry it and are evaluated as before; a new definition must name the currency.
 */
export interface ConditionalApprovers {
  if: { valueAtLeast: ValueThreshold | number };
  add: Approver[];
}

/**
 * Targets of an escalation level:
 * - `manager`: the manager of each signer still pending;
 * - `manager+1`: that manager's manager;
 * - a triangle role or `group:<name>`, as for approvers.
 */
export type EscalationTarget = 'manager' | 'manager+1' | TriangleRole | `group:${string}`;

export interface EscalationLevel {
  /** Measured from the due time; `0s` fires at the due time. */
  after: string;
  notify: EscalationTarget[];
  /** Decide the stage automatically when this level fires (recorded as done by `system`). */
  action?: 'approve' | 'reject';
}

export interface StageSla {
  /** Time allowed from stage entry to due: `30s 15m 4h 3d 2w` or ISO 8601 (`PT4H`, `P3D`). */
  within: string;
  /** Reminders, as time left before due. */
  remind?: string[];
  /** Escalation levels, strictly ascending `after`. */
  escalate?: EscalationLevel[];
}

/** The buying roles a `decisionChain` requirement may name (as on an account's contacts). */
export const REQUIREMENT_BUYING_ROLES = [
  'decision_maker',
  'influencer',
  'user',
  'gatekeeper',
  'buyer',
] as const;
/** The fields a `field` requirement may name: it is met once the field has a value. */
export const REQUIREMENT_FIELD_PATHS = [
  'deal.expectedCloseDate',
  'account.industry',
  'account.region',
] as const;

/**
 * Evidence a stage asks for before it can complete (besides its sign-off rule):
 * - `decisionChain`: each listed buying role has at least `minKnownStance` contacts on the deal's
 *   account whose stance is known (not `unknown`);
 * - `field`: the field at `path` has a value;
 * - `attachment`: the deal carries an attachment of this kind.
 */
export type Requirement =
  | { decisionChain: { roles: (typeof REQUIREMENT_BUYING_ROLES)[number][]; minKnownStance: number } }
  | { field: { path: (typeof REQUIREMENT_FIELD_PATHS)[number] } }
  | { attachment: { kind: string } };

export interface StageDefinition {
  key: string;
  name: LocalizedText;
  /** Optional decision-point code (ATI, ATB, ATC, ...), shown in UI and reports. */
  gate?: string;
  approvers: Approver[];
  rule: Rule;
  when?: ConditionalApprovers[];
  sla: StageSla;
  /** Accountability share of each triangle role at this stage; sums to 1. Drives credit. */
  weights: Partial<Record<TriangleRole, number>>;
  /** Stage key to send the deal back to on rejection (not forward), or `lost`. Default `lost`. */
  onReject?: string;
  /** Evidence the stage needs, checked with its sign-off rule: both must hold for it to complete. */
  requires?: Requirement[];
}

/**
 * Who may hold more than one triangle role of a deal. By default the three roles are three
 * different people; each pair listed here may be one person (e.g. `[[SR, FR]]`).
 */
export interface SeparationOfDuties {
  allowSamePerson: [TriangleRole, TriangleRole][];
}

export interface ProcessDefinition {
  key: string;
  name: LocalizedText;
  /**
   * Currencies a deal on this process may be in (ISO 4217). Every stage with value conditions
   * must name each of them. Omitted: the currencies the value conditions name, or any currency
   * when there are none.
   */
  currencies?: string[];
  /** Omitted: AR, SR and FR are three different people. */
  separationOfDuties?: SeparationOfDuties;
  stages: StageDefinition[];
}

/** A stored, immutable version of a definition. */
export interface ProcessVersion {
  key: string;
  version: number;
  checksum: string;
  createdAt: string;
  definition: ProcessDefinition;
}

/** One validation finding, with the path in the form `stages[3].sla.remind[0]`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export const LOST = 'lost' as const;
