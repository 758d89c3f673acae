/**
 * The project's custom search attributes. Dependency-free (only @temporalio/common), shared by the
 * workflow (upserts), the worker (registers them at start when missing) and the dev/test stack
 * (`temporal server start-dev --search-attribute`).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LtcStage = defineSearchAttributeKey('LtcStage', SearchAttributeType.KEYWORD);
export const LtcStatus = defineSearchAttributeKey('LtcStatus', SearchAttributeType.KEYWORD);
export const LtcPendingUsers = defineSearchAttributeKey('LtcPendingUsers', SearchAttributeType.KEYWORD_LIST);
export const LtcDueAt = defineSearchAttributeKey('LtcDueAt', SearchAttributeType.DATETIME);
export const LtcValue = defineSearchAttributeKey('LtcValue', SearchAttributeType.DOUBLE);
export const LtcProcess = defineSearchAttributeKey('LtcProcess', SearchAttributeType.KEYWORD);

/** Name → type as the CLI and the operator service spell them. */
export const SEARCH_ATTRIBUTES = {
  LtcStage: 'Keyword',
  LtcStatus: 'Keyword',
  LtcPendingUsers: 'KeywordList',
  LtcDueAt: 'Datetime',
  LtcValue: 'Double',
  LtcProcess: 'Keyword',
} as const;
