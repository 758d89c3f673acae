/**
 * Timeline events: each gets the deal's next sequence number. A key that depends on that number
 * (`hold:<seq>`) is built from it here, so it never depends on evaluation order elsewhere.
 */
import type { DealEventType, EventRecord } from './records';
import type { DealState } from './types';

export const SYSTEM_ACTOR = 'system';

export interface EventSpec {
  type: DealEventType;
  /** The event's idempotency key within the deal, or a function of its sequence number. */
  key: string | ((seq: number) => string);
  data: Record<string, unknown>;
  actorId?: string;
  /** The user the actor acted for (a delegate's principal); dropped when it is the actor. */
  onBehalfOfId?: string | null;
}

/** Assign the next sequence number and build the event (at `now`, in the current stage). */
export function nextEvent(state: DealState, spec: EventSpec, now: number): EventRecord {
  state.seq += 1;
  const seq = state.seq;
  const actorId = spec.actorId ?? SYSTEM_ACTOR;
  const onBehalfOf = spec.onBehalfOfId ?? null;
  return {
    seq,
    key: typeof spec.key === 'function' ? spec.key(seq) : spec.key,
    type: spec.type,
    at: new Date(now).toISOString(),
    stage: state.stage?.key ?? (spec.data.stage as string | undefined) ?? null,
    actorId,
    onBehalfOfId: onBehalfOf && onBehalfOf !== actorId ? onBehalfOf : null,
    data: spec.data,
  };
}

/** A key scoped to the current stage visit (`atb:2:reminder:0`), or to the deal between stages. */
export function visitKey(state: Pick<DealState, 'stage'>, suffix: string): string {
  const s = state.stage;
  return s ? `${s.key}:${s.visit}:${suffix}` : `deal:${suffix}`;
}
