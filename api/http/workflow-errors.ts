/**
 * The one place where what a deal workflow answers maps to HTTP: a refused command (its code says
 * which status), a deal that no longer runs, and Temporal being unreachable or slow.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { REFUSAL_FAILURE_TYPE } from '../../workflows/messages';
import { HttpProblem } from './problem';

/** Refusal codes by HTTP status; any other code is a 409 conflict with the deal's state. */
const FORBIDDEN = new Set(['role_not_required', 'not_assignee', 'separation_of_duties', 'forbidden']);
const BAD_REQUEST = new Set(['comment_required', 'invalid', 'role_ambiguous']);
/** The field a code concerns when the refusal names none. */
const DEFAULT_FIELD: Record<string, string> = { comment_required: 'comment', role_ambiguous: 'role' };

export const RETRY_AFTER_SECONDS = '5';

export function unavailable(detail: string): HttpProblem {
  return new HttpProblem(503, {
    type: 'temporal-unavailable',
    detail,
    headers: { 'Retry-After': RETRY_AFTER_SECONDS },
  });
}

/** The problem for an error from a deal's workflow, or undefined when it is not one. */
export function workflowProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const f = err.cause;
    if (f.type !== REFUSAL_FAILURE_TYPE) return undefined;
    const details = (f.details?.[0] ?? {}) as { code?: string; field?: string };
    const code = details.code ?? 'conflict';
    const type = code.replace(/_/g, '-');
    const extensions = { code };
    const field = details.field ?? DEFAULT_FIELD[code];
    const errors = field ? [{ path: `body.${field}`, message: f.message }] : undefined;
    if (code === 'unavailable') return unavailable(f.message);
    if (FORBIDDEN.has(code)) return new HttpProblem(403, { type, detail: f.message, extensions, errors });
    if (BAD_REQUEST.has(code)) return new HttpProblem(400, { type, detail: f.message, extensions, errors });
    return new HttpProblem(409, { type, detail: f.message, extensions, errors });
  }
  if (err instanceof WorkflowNotFoundError || isClosedWorkflowError(err)) {
    return new HttpProblem(409, {
      type: 'not-active',
      detail: 'The deal is no longer active',
      extensions: { code: 'not_active' },
    });
  }
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const grpc = e?.code ?? e?.cause?.code;
  // gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8)
  if (grpc === 14 || grpc === 4 || grpc === 8) {
    return unavailable('The workflow service is unavailable; retry shortly');
  }
  // FAILED_PRECONDITION while the deal's last workflow task failed (e.g. its worker died mid-task):
  // Temporal takes Updates again once a worker has run the task again.
  // The text may be on the error itself or on its cause (the client wraps the gRPC error).
  if (/workflow task in failed state/i.test(messagesOf(err))) {
    return unavailable('The deal is recovering from a worker failure; retry shortly');
  }
  return undefined;
}

/** The messages of an error and of its causes, a few levels down. */
function messagesOf(err: unknown): string {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    out.push(
      String((e as { message?: unknown }).message ?? ''),
      String((e as { details?: unknown }).details ?? ''),
    );
    e = (e as { cause?: unknown }).cause;
  }
  return out.join('\n');
}

/** The run an Update was sent to has closed (completed, or continued as new meanwhile). */
export function isClosedWorkflowError(err: unknown): boolean {
  return /workflow execution already completed/i.test(messagesOf(err));
}
