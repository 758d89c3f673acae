/**
 * What a deal workflow's errors become over HTTP (api/http/workflow-errors.ts): the client wraps the
 * gRPC error of a refused Update, so the text that says why is on the cause.
 */
import { ServiceError } from '@temporalio/client';
import { HttpProblem } from '../../api/http/problem';
import { isClosedWorkflowError, workflowProblem } from '../../api/http/workflow-errors';

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

describe('workflowProblem', () => {
  test('an Update refused while the deal’s workflow task is in failed state is 503 with Retry-After', () => {
    // As @temporalio/client 1.24 throws it (rethrowGrpcError): the message is generic, the cause says why.
    const err = new ServiceError('Workflow Update failed', {
      cause: grpcError(
        9,
        'FAILED_PRECONDITION: Unable to perform workflow execution update due to Workflow Task in failed state.',
      ),
    });
    const problem = workflowProblem(err);
    expect(problem).toBeInstanceOf(HttpProblem);
    expect(problem?.status).toBe(503);
    expect(problem?.headers?.['Retry-After']).toMatch(/^[1-9]\d*$/);
  });

  test('another FAILED_PRECONDITION is not taken for a recovering deal', () => {
    const err = new ServiceError('Workflow Update failed', {
      cause: grpcError(9, 'FAILED_PRECONDITION: something else'),
    });
    expect(workflowProblem(err)).toBeUndefined();
  });

  test('Temporal unreachable is 503', () => {
    const err = new ServiceError('Workflow Update failed', {
      cause: grpcError(14, 'UNAVAILABLE: No connection'),
    });
    expect(workflowProblem(err)?.status).toBe(503);
  });
});

describe('isClosedWorkflowError', () => {
  test('reads the reason on the client error’s cause, like the failed-state check', () => {
    const err = new ServiceError('Workflow Update failed', {
      cause: grpcError(5, 'NOT_FOUND: workflow execution already completed'),
    });
    expect(isClosedWorkflowError(err)).toBe(true);
    expect(isClosedWorkflowError(new Error('something else'))).toBe(false);
  });
});
