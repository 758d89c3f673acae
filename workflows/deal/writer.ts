/**
 * Writing a deal to Postgres, and what happens when Postgres will not take a write.
 *
 * Every change is written with its timeline events in one activity (one SQL statement, idempotent
 * by sequence number and event key). A command's write is a local activity inside its Update, so the
 * command answers once its change is readable. If a write is refused (data Postgres will not hold),
 * or cannot land within its time budget, it is never dropped and never fails the deal: it is kept in
 * the deal's backlog (merged, in the workflow state), the deal is flagged for ops, and the backlog is
 * retried with backoff until it lands; the deal goes on taking commands meanwhile.
 */
import { ActivityFailure, log } from '@temporalio/workflow';
import { projectionOf } from '../../domain/deal/projection';
import { type DealWrite, mergeWrites } from '../../domain/deal/records';
import type { DealState } from '../../domain/deal/types';
import { commandWrites, stepLookups, stepWrites } from './activities';

/** Past this many unwritten events, the deal takes no more commands until its backlog lands. */
export const MAX_BACKLOG_EVENTS = 2000;
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 10 * 60_000;
/** Ids of outbox rows waiting for their delivery to be started, at most. */
const MAX_PENDING_DELIVERIES = 500;

export class DealWriter {
  private retryMs = FIRST_RETRY_MS;
  private nextAttempt = 0;
  private faultReported = false;

  constructor(private readonly state: DealState) {}

  /** A command's write: answered once it is in Postgres (or kept in the backlog). */
  command(write: DealWrite): Promise<void> {
    return this.run(write, 'command');
  }

  /** A write of the deal's own steps. */
  step(write: DealWrite): Promise<void> {
    return this.run(write, 'step');
  }

  get overloaded(): boolean {
    return (this.state.backlog?.write.events.length ?? 0) >= MAX_BACKLOG_EVENTS;
  }

  /** Whether the main loop has something to do here now: a backlog retry due, deliveries, a fault to report. */
  get due(): boolean {
    return (
      (Boolean(this.state.backlog) && Date.now() >= this.nextAttempt) ||
      (this.state.pendingDeliveries?.length ?? 0) > 0 ||
      (Boolean(this.state.fault) && !this.faultReported)
    );
  }

  /** When the next backlog retry is due (ms epoch), or null. */
  get nextRetryAt(): number | null {
    return this.state.backlog ? this.nextAttempt : null;
  }

  get idle(): boolean {
    return !this.state.backlog && !this.state.fault && (this.state.pendingDeliveries?.length ?? 0) === 0;
  }

  /** The main loop's part: report a fault, start deliveries, retry the backlog when due. */
  async work(): Promise<void> {
    const state = this.state;
    if (state.fault && !this.faultReported) {
      this.faultReported = true;
      await stepLookups.reportDealFault({ dealId: state.dealId, ...state.fault });
    }
    const ids = state.pendingDeliveries ?? [];
    if (ids.length) {
      state.pendingDeliveries = [];
      await stepLookups.startDeliveries({ dealId: state.dealId, notificationIds: ids });
    }
    const backlog = state.backlog;
    if (backlog && Date.now() >= this.nextAttempt) {
      try {
        await stepWrites.recordDeal({
          dealId: state.dealId,
          ...backlog.write,
          deal: backlog.projection,
          clearFault: true,
          fence: Date.now(),
        });
        // Only what was flushed: commands may have added to the backlog meanwhile.
        if (state.backlog === backlog) state.backlog = null;
        else if (state.backlog)
          state.backlog = { ...state.backlog, write: without(state.backlog.write, backlog.write) };
        if (!state.backlog) {
          log.info('deal writes caught up', { dealId: state.dealId });
          state.fault = null;
          this.retryMs = FIRST_RETRY_MS;
        }
      } catch (err) {
        this.nextAttempt = Date.now() + this.retryMs;
        this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
        log.warn('deal backlog still refused', { dealId: state.dealId, error: errorText(err) });
      }
    }
  }

  private async run(write: DealWrite, kind: 'command' | 'step'): Promise<void> {
    if (write.events.length === 0) return;
    const state = this.state;
    const deal = projectionOf(state, Date.now());
    try {
      const via = kind === 'command' ? commandWrites : stepWrites;
      const result = await via.recordDeal({
        dealId: state.dealId,
        ...write,
        deal,
        ...(kind === 'command' ? { deferDelivery: true } : {}),
        // Fencing token (see RecordInput.fence): the time of this workflow task; a later attempt's is later.
        fence: Date.now(),
      });
      if (result?.deferred?.length) this.deliverLater(result.deferred);
      // This deal's writes are landing again: try the backlog at once.
      if (state.backlog) this.nextAttempt = 0;
    } catch (err) {
      this.keep(write, deal, err);
    }
  }

  private deliverLater(ids: string[]): void {
    const pending = [...(this.state.pendingDeliveries ?? []), ...ids];
    this.state.pendingDeliveries = pending;
    if (pending.length > MAX_PENDING_DELIVERIES) {
      // Never lost: the outbox rows are written; `notifications resend` starts them by hand.
      log.warn('deliveries dropped from the queue', { dealId: this.state.dealId, dropped: pending.length });
      pending.splice(0, pending.length - MAX_PENDING_DELIVERIES);
    }
  }

  private keep(write: DealWrite, deal: ReturnType<typeof projectionOf>, err: unknown): void {
    const state = this.state;
    const backlog = state.backlog;
    state.backlog = backlog
      ? {
          write: mergeWrites([backlog.write, write]),
          projection: deal.projectionSeq >= backlog.projection.projectionSeq ? deal : backlog.projection,
        }
      : { write, projection: deal };
    const error = errorText(err);
    if (!state.fault) {
      state.fault = { since: new Date().toISOString(), error, seq: deal.projectionSeq };
      this.faultReported = false;
      this.nextAttempt = Date.now() + this.retryMs;
    }
    log.error('deal write kept in the backlog', { dealId: state.dealId, seq: deal.projectionSeq, error });
  }
}

/** The rows of `all` that are not in `flushed` (events by sequence number). */
function without(all: DealWrite, flushed: DealWrite): DealWrite {
  const seqs = new Set(flushed.events.map((e) => e.seq));
  const n = (a: unknown[], b: unknown[]) => a.filter((x) => !b.includes(x));
  return {
    events: all.events.filter((e) => !seqs.has(e.seq)),
    signoffs: n(all.signoffs, flushed.signoffs) as DealWrite['signoffs'],
    stageVisits: n(all.stageVisits, flushed.stageVisits) as DealWrite['stageVisits'],
    notify: n(all.notify, flushed.notify) as DealWrite['notify'],
  };
}

function errorText(err: unknown): string {
  let e: unknown = err;
  if (e instanceof ActivityFailure && e.cause) e = e.cause;
  const text = e instanceof Error ? e.message : String(e);
  return text.slice(0, 300);
}
