/**
 * What a set of recorded histories exercises, decoded from the histories themselves: workflow types,
 * Updates (and Signals), deal timeline event types, Continue-As-New and the SLA/rejection paths.
 *
 * - Workflow types: WorkflowExecutionStarted. A run started with `continuedExecutionRunId` is a
 *   continued run; WorkflowExecutionContinuedAsNew ends a run by Continue-As-New.
 * - Updates: WorkflowExecutionUpdateAdmitted/Accepted. Queries leave nothing in a history (and run
 *   no commands), so there is nothing of theirs to record or replay.
 * - Timeline event types: the `RecordInput` of every `recordDeal` activity (ActivityTaskScheduled
 *   input). An Update writes through a local activity, whose marker (MarkerRecorded) carries only the
 *   activity type and result, not its input. Since `deal-v3` that result lists the event types
 *   written (`written`); in older histories the event an Update wrote is named by the Update that
 *   completed successfully after a `recordDeal` marker (and, for a sign-off, its decision).
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import {
  DEAL_EVENT_TYPES,
  type DealEventType,
  type EventRecord,
  type RecordInput,
} from '../../../activities/types';
import { DELIVER_NOTIFICATION_WORKFLOW_TYPE } from '../../../domain/notifications/delivery';
import * as messages from '../../../workflows/messages';
import type { History } from './histories';

type IPayload = temporal.api.common.v1.IPayload;

const decode = (p: IPayload | null | undefined): unknown =>
  p ? defaultPayloadConverter.fromPayload(p as Payload) : undefined;

const decodeAll = (ps: { payloads?: IPayload[] | null } | null | undefined): unknown[] =>
  (ps?.payloads ?? []).map(decode);

/** The timeline event an Update's local `recordDeal` write carries. */
const WRITTEN_BY_UPDATE: Record<string, (args: unknown[]) => DealEventType> = {
  [messages.signoffUpdate.name]: ([req]) =>
    (req as { decision?: string } | undefined)?.decision === 'reject'
      ? 'signoff.rejected'
      : 'signoff.approved',
  [messages.holdUpdate.name]: () => 'deal.on_hold',
  [messages.resumeUpdate.name]: () => 'deal.resumed',
  [messages.reassignUpdate.name]: () => 'role.reassigned',
  [messages.amendUpdate.name]: () => 'deal.amended',
  [messages.cancelUpdate.name]: () => 'deal.cancelled',
};

/** Everything the newest fixtures must exercise. */
export function requiredCoverage(): string[] {
  const definitions = Object.values(messages as Record<string, unknown>).filter(
    (v): v is { type: 'update' | 'signal' | 'query'; name: string } =>
      typeof v === 'object' && v !== null && 'type' in v && 'name' in v,
  );
  return [
    `workflow ${messages.DEAL_WORKFLOW_TYPE}`,
    `workflow ${DELIVER_NOTIFICATION_WORKFLOW_TYPE}`,
    ...definitions.filter((d) => d.type !== 'query').map((d) => `${d.type} ${d.name}`),
    ...DEAL_EVENT_TYPES.map((t) => `event ${t}`),
    'continue-as-new',
    'continued run',
    'auto-approve',
    'auto-reject',
    'rework',
  ];
}

/** What these histories exercise, in the names `requiredCoverage` uses. */
export function coverageOf(histories: History[]): Set<string> {
  const seen = new Set<string>();
  for (const history of histories) {
    const events = history.events ?? [];
    const accepted = new Map<number, { name: string; args: unknown[] }>();
    let lastLocalRecordDeal = 0; // event id of the latest `recordDeal` local activity marker
    for (const e of events) {
      const started = e.workflowExecutionStartedEventAttributes;
      if (started) {
        seen.add(`workflow ${started.workflowType?.name}`);
        if (started.continuedExecutionRunId) seen.add('continued run');
      }
      if (e.workflowExecutionContinuedAsNewEventAttributes) seen.add('continue-as-new');
      if (e.workflowExecutionSignaledEventAttributes) {
        seen.add(`signal ${e.workflowExecutionSignaledEventAttributes.signalName}`);
      }
      const admitted = e.workflowExecutionUpdateAdmittedEventAttributes?.request?.input;
      if (admitted?.name) seen.add(`update ${admitted.name}`);
      const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
      if (request?.name) {
        seen.add(`update ${request.name}`);
        accepted.set(Number(e.eventId), { name: request.name, args: decodeAll(request.args) });
      }
      const marker = e.markerRecordedEventAttributes;
      if (marker?.details?.data) {
        const data = decodeAll(marker.details.data)[0] as { activity_type?: string } | undefined;
        if (data?.activity_type === 'recordDeal') lastLocalRecordDeal = Number(e.eventId);
        const result = decodeAll(marker.details.result)[0] as { written?: string[] } | undefined;
        for (const type of result?.written ?? []) seen.add(`event ${type}`);
        // A rejection that moved the deal to another stage of its process, in the same write.
        if (result?.written?.includes('signoff.rejected') && result.written.includes('stage.entered')) {
          seen.add('rework');
        }
      }
      const completed = e.workflowExecutionUpdateCompletedEventAttributes;
      if (completed?.outcome?.success && lastLocalRecordDeal > Number(completed.acceptedEventId)) {
        const update = accepted.get(Number(completed.acceptedEventId));
        const written = update && WRITTEN_BY_UPDATE[update.name]?.(update.args);
        if (written) seen.add(`event ${written}`);
      }
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'recordDeal') {
        const input = decodeAll(scheduled.input)[0] as RecordInput;
        for (const ev of input.events) for (const name of pathsOf(ev)) seen.add(name);
      }
    }
  }
  return seen;
}

function pathsOf(ev: EventRecord): string[] {
  const names = [`event ${ev.type}`];
  if (ev.type === 'stage.auto_decided')
    names.push(ev.data.decision === 'approve' ? 'auto-approve' : 'auto-reject');
  if (
    ev.type === 'stage.completed' &&
    String(ev.data.outcome).endsWith('rejected') &&
    !['lost', 'complete'].includes(String(ev.data.nextStage))
  ) {
    names.push('rework');
  }
  return names;
}
