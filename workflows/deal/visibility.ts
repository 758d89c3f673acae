/** The deal's search attributes, upserted only when one of them changes. */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { pendingUserIds } from '../../domain/deal/machine';
import type { DealState } from '../../domain/deal/types';
import { LtcDueAt, LtcPendingUsers, LtcProcess, LtcStage, LtcStatus, LtcValue } from '../search-attributes';

export function searchAttributeSync(state: DealState): () => void {
  let last = '';
  return () => {
    const s = state.stage;
    const pending = pendingUserIds(state);
    const snapshot = JSON.stringify([state.status, s?.key, s?.dueAt, pending, state.value.amount]);
    if (snapshot === last) return;
    last = snapshot;
    upsertSearchAttributes([
      { key: LtcStatus, value: state.status },
      { key: LtcStage, value: s?.key ?? null },
      { key: LtcPendingUsers, value: pending.length ? pending : null },
      { key: LtcDueAt, value: s?.dueAt ? new Date(s.dueAt) : null },
      { key: LtcValue, value: state.value.amount },
      { key: LtcProcess, value: `${state.process.key}@${state.process.version}` },
    ]);
  };
}
