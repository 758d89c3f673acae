/**
 * Bounds of a process definition, so that no definition can make a deal's state, its history or
 * a stage's timers grow without limit. Pure constants (workflow code may import them). Documented
 * in docs/process-definitions.md ("Limits").
 */

export const DEFINITION_LIMITS = {
  /** Stages in a process. */
  stages: 50,
  /** Approvers of one stage (`approvers`), and approvers one `when` entry adds (`add`). */
  approvers: 20,
  /** Conditional-approver entries (`when`) of one stage. */
  when: 20,
  /** Reminders (`sla.remind`) of one stage. */
  reminders: 10,
  /** Escalation levels (`sla.escalate`) of one stage. */
  escalationLevels: 10,
  /** Targets (`notify`) of one escalation level. */
  notify: 20,
  /** Currencies a process accepts (`currencies`). */
  currencies: 20,
  /** Characters of a process or stage key. */
  keyLength: 64,
  /** Characters of a name (`name.en`, `name.zh`). */
  nameLength: 200,
  /** Characters of a gate code. */
  gateLength: 32,
  /** Requirements (`requires`) of one stage. */
  requires: 10,
  /** Characters of an attachment kind a requirement names. */
  attachmentKindLength: 64,
} as const;

/** The longest duration (`within`, `remind`, `escalate.after`): one year of 365 days. */
export const MAX_DURATION_MS = 365 * 24 * 60 * 60 * 1000;
export const MAX_DURATION_TEXT = '365d (one year)';
