/**
 * Notification model shared by the renderer and the channel senders.
 *
 * Plain types only: no I/O here. The workflow produces a `NotificationContext` into the outbox;
 * the delivery activity renders it per recipient locale into an `OutgoingNotification`.
 */

export type NotificationKind = 'task' | 'reminder' | 'escalation' | 'decision' | 'status';

export type Locale = 'zh' | 'en';

/** Everything a message needs; produced by the workflow. */
export interface NotificationContext {
  /**
   * e.g. 'stage.entered', 'role.reassigned', 'stage.reminder', 'stage.escalated', 'stage.completed',
   * 'signoff.rejected', 'deal.on_hold', 'deal.resumed', 'deal.cancelled', 'deal.completed', 'deal.lost',
   * 'stage.auto_decided'
   */
  event: string;
  dealId: string;
  dealTitle: string;
  accountName: string;
  stage: string;
  stageName: { en: string; zh: string };
  /** ISO 8601. */
  dueAt?: string | null;
  /** Role the recipient must sign (task/reminder). */
  role?: string;
  /** Reminder: time left before due. */
  timeLeftMs?: number;
  /** Escalation level, 1-based. */
  escalationLevel?: number;
  /** Escalation: signers still pending. */
  waitingOn?: { role: string; userName: string }[];
  decision?: 'approve' | 'reject';
  reason?: string;
  targetStage?: string;
  targetStageName?: { en: string; zh: string };
  actorName?: string;
}

export interface RenderedMessage {
  /** One line, no markup. Email subject, card title. */
  title: string;
  /** Plain text, several lines, ends with the link. */
  text: string;
  /** Markdown subset understood by WeCom, DingTalk and Feishu (bold, lists, links). */
  markdown: string;
}

export interface OutgoingNotification {
  /** Stable id (the outbox dedupe key hash); receivers dedupe on it. */
  id: string;
  kind: NotificationKind;
  dealId: string;
  stage: string;
  /** User ids. */
  recipients: string[];
  /** ISO 8601. */
  at: string;
  /** URL to the deal (web UI or API). */
  link: string;
  /** Already rendered in the recipient's locale. */
  message: RenderedMessage;
}
